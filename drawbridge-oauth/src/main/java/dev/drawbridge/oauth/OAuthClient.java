package dev.drawbridge.oauth;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * A registered client.
 *
 * @param clientId          the id given at registration
 * @param name              {@code client_name}, or the id when none was given
 * @param authMethod        how it authenticates at the token endpoint
 * @param jwks              for {@code private_key_jwt}: its public keys (a JWK set as JSON)
 * @param certThumbprint    for {@code tls_client_auth}: base64url SHA-256 of its certificate (DER)
 * @param scopes            the scopes it may ask for
 * @param status            whether its credentials work
 * @param nodeId            the inventory node it speaks for, when it registered with a node certificate or names one
 * @param registrationToken SHA-256 (hex) of its registration access token (RFC 7592)
 * @param metadata          the metadata as accepted (JSON)
 * @param decision          the trust decision at registration (JSON: the answer and each factor's reason)
 * @param revokedBefore     tokens issued before this instant are refused (moved on by a fence)
 */
public record OAuthClient(String clientId, String name, AuthMethod authMethod, Optional<String> jwks,
                          Optional<String> certThumbprint, Set<ApiScope> scopes, Status status,
                          Optional<String> nodeId, String registrationToken, String metadata, String decision,
                          Instant createdAt, Instant updatedAt, Instant revokedBefore) {
    public OAuthClient {
        scopes = Set.copyOf(scopes);
    }

    /** Token endpoint authentication methods this server takes. */
    public enum AuthMethod {
        /** RFC 7523: a JWT signed with a key from the client's registered JWK set. */
        PRIVATE_KEY_JWT("private_key_jwt"),
        /** RFC 8705: the TLS client certificate registered with the client. */
        TLS_CLIENT_AUTH("tls_client_auth");

        private final String wire;

        AuthMethod(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        public static Optional<AuthMethod> parse(String wire) {
            for (AuthMethod m : values()) {
                if (m.wire.equals(wire)) {
                    return Optional.of(m);
                }
            }
            return Optional.empty();
        }
    }

    /** Whether a client's credentials work. */
    public enum Status {
        /** Trusted: it may obtain and use tokens. */
        ENABLED,
        /** Registered, waiting for an operator to approve it through the device flow. */
        NEEDS_APPROVAL,
        /** Disabled by an operator or a fence: nothing it holds works. */
        DISABLED;

        public String wire() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Optional<Status> parse(String wire) {
            for (Status s : values()) {
                if (s.wire().equals(wire)) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    public OAuthClient withStatus(Status s, Instant at) {
        return new OAuthClient(clientId, name, authMethod, jwks, certThumbprint, scopes, s, nodeId, registrationToken,
                metadata, decision, createdAt, at, revokedBefore);
    }

    /**
     * This client disabled at {@code at}, with every token issued until then refused for good. A token's {@code iat}
     * has whole seconds, so the cut is the next whole second: a token from the same second as the disabling is
     * refused too.
     */
    public OAuthClient disabled(Instant at) {
        Instant whole = at.truncatedTo(ChronoUnit.SECONDS);
        Instant cut = whole.equals(at) ? at : whole.plusSeconds(1);
        return new OAuthClient(clientId, name, authMethod, jwks, certThumbprint, scopes, Status.DISABLED, nodeId,
                registrationToken, metadata, decision, createdAt, at, cut);
    }
}
