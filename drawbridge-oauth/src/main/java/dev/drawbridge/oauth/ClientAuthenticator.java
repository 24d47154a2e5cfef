package dev.drawbridge.oauth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.oauth2.sdk.OAuth2Error;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.auth.JWTAuthenticationClaimsSet;
import com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.auth.TLSClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.verifier.ClientAuthenticationVerifier;
import com.nimbusds.oauth2.sdk.auth.verifier.ClientCredentialsSelector;
import com.nimbusds.oauth2.sdk.auth.verifier.Context;
import com.nimbusds.oauth2.sdk.auth.verifier.InvalidClientException;
import com.nimbusds.oauth2.sdk.auth.verifier.JWTAudienceCheck;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.id.ClientID;
import java.security.PublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Optional;
import java.util.Set;

/**
 * Authenticates a client at the token, introspection and revocation endpoints: {@code private_key_jwt} (RFC 7523,
 * verified by the Nimbus SDK against the client's registered keys, then: {@code exp} at most
 * {@link OAuthSettings#assertionMaxAhead()} ahead, during the first minutes after this server started an {@code iat} after the start, and the
 * {@code jti} used once) or {@code tls_client_auth} (RFC 8705: the TLS certificate is the registered one). Every
 * refusal is {@code invalid_client}, naming why.
 */
final class ClientAuthenticator {
    /** How far the client's clock may run ahead of ours. */
    static final Duration CLOCK_SKEW = Duration.ofSeconds(5);
    private final Clients clients;
    private final ReplayCache replays;
    private final OAuthSettings settings;
    private final Clock clock;
    private final ClientAuthenticationVerifier<Void> verifier;

    ClientAuthenticator(Clients clients, ReplayCache replays, OAuthSettings settings, Clock clock) {
        this.clients = clients;
        this.replays = replays;
        this.settings = settings;
        this.clock = clock;
        // The issuer, or any endpoint that takes client authentication, as the assertion's audience.
        Set<Audience> audiences = Set.of(new Audience(settings.issuer()), new Audience(settings.endpoint(
                Endpoints.TOKEN)), new Audience(settings.endpoint(Endpoints.INTROSPECT)),
                new Audience(settings.endpoint(Endpoints.REVOKE)));
        this.verifier = new ClientAuthenticationVerifier<>(new Selector(), audiences, JWTAudienceCheck.LEGACY);
    }

    /** The enabled client that {@code auth} proves to be; {@code tlsThumbprint} is the request's certificate's. */
    OAuthClient authenticate(ClientAuthentication auth, Optional<String> tlsThumbprint) throws OAuthFailure {
        return authenticate(auth, tlsThumbprint, Accept.ENABLED);
    }

    /** Which clients may authenticate at an endpoint, by status. */
    enum Accept {
        /** Enabled ones only: the token endpoint's client_credentials, introspection, revocation. */
        ENABLED,
        /** Also those waiting for approval: the device flow is how they get approved. */
        WAITING,
        /** Any, once its credentials check out: a denied client's device poll learns it was denied. */
        ANY
    }

    /** As {@link #authenticate(ClientAuthentication, Optional)}, accepting the statuses {@code accept} names. */
    OAuthClient authenticate(ClientAuthentication auth, Optional<String> tlsThumbprint, Accept accept)
            throws OAuthFailure {
        OAuthClient client = clients.find(auth.getClientID().getValue()).orElseThrow(() -> new OAuthFailure(
                OAuth2Error.INVALID_CLIENT, "no client " + auth.getClientID().getValue() + " is registered"));
        switch (auth) {
            case PrivateKeyJWT jwt -> checkAssertion(client, jwt);
            case TLSClientAuthentication tls -> checkCertificate(client, tlsThumbprint);
            default -> throw new OAuthFailure(OAuth2Error.INVALID_CLIENT, "client authentication "
                    + auth.getMethod().getValue() + " is not supported; use private_key_jwt or tls_client_auth");
        }
        boolean allowed = switch (client.status()) {
            case ENABLED -> true;
            case NEEDS_APPROVAL -> accept != Accept.ENABLED;
            case DISABLED -> accept == Accept.ANY;
        };
        if (!allowed) {
            throw new OAuthFailure(OAuth2Error.INVALID_CLIENT, "client " + client.clientId() + " is "
                    + client.status().wire() + (client.status() == OAuthClient.Status.NEEDS_APPROVAL
                    ? ": an operator must approve it at /device first" : ""));
        }
        return client;
    }

    private void checkAssertion(OAuthClient client, PrivateKeyJWT jwt) throws OAuthFailure {
        if (client.authMethod() != OAuthClient.AuthMethod.PRIVATE_KEY_JWT) {
            throw new OAuthFailure(OAuth2Error.INVALID_CLIENT, "client " + client.clientId()
                    + " is registered for " + client.authMethod().wire() + ", not private_key_jwt");
        }
        JWTAuthenticationClaimsSet claims = jwt.getJWTAuthenticationClaimsSet();
        Instant now = clock.instant();
        if (claims.getExpirationTime() == null || claims.getExpirationTime().toInstant()
                .isAfter(now.plus(settings.assertionMaxAhead()).plus(CLOCK_SKEW))) {
            throw new OAuthFailure(OAuth2Error.INVALID_CLIENT, "the client assertion's exp must be at most "
                    + settings.assertionMaxAhead().toSeconds() + " s ahead");
        }
        // The used-jti cache lives in memory: while an assertion accepted before this server started could still be
        // unexpired, an assertion must show (iat) that it was made after the start.
        Instant windowEnd = replays.startedAt().plus(settings.assertionMaxAhead()).plus(CLOCK_SKEW);
        if (now.isBefore(windowEnd) && (claims.getIssueTime() == null
                || claims.getIssueTime().toInstant().plusSeconds(1).isBefore(replays.startedAt()))) {
            throw new OAuthFailure(OAuth2Error.INVALID_CLIENT, "until " + windowEnd + " (this server started at "
                    + replays.startedAt() + ") a client assertion needs an iat after the start");
        }
        if (claims.getJWTID() == null) {
            throw new OAuthFailure(OAuth2Error.INVALID_CLIENT, "the client assertion needs a jti");
        }
        try {
            verifier.verify(jwt, null, new Context<>());
        } catch (InvalidClientException e) {
            throw new OAuthFailure(OAuth2Error.INVALID_CLIENT, "the client assertion is refused: " + e.getMessage());
        } catch (JOSEException e) {
            throw new OAuthFailure(OAuth2Error.INVALID_CLIENT, "the client assertion cannot be verified");
        }
        if (replays.full()) {
            throw new OAuthFailure(OAuth2Error.TEMPORARILY_UNAVAILABLE, "too many client assertions in flight;"
                    + " try again shortly");
        }
        if (!replays.firstUse(client.clientId(), claims.getJWTID().getValue(),
                claims.getExpirationTime().toInstant())) {
            throw new OAuthFailure(OAuth2Error.INVALID_CLIENT, "the client assertion (jti "
                    + claims.getJWTID().getValue() + ") was already used");
        }
    }

    private static void checkCertificate(OAuthClient client, Optional<String> tlsThumbprint) throws OAuthFailure {
        if (client.authMethod() != OAuthClient.AuthMethod.TLS_CLIENT_AUTH || client.certThumbprint().isEmpty()) {
            throw new OAuthFailure(OAuth2Error.INVALID_CLIENT, "client " + client.clientId()
                    + " is registered for " + client.authMethod().wire() + ", not tls_client_auth");
        }
        if (tlsThumbprint.isEmpty()) {
            throw new OAuthFailure(OAuth2Error.INVALID_CLIENT, "tls_client_auth needs a TLS client certificate");
        }
        if (!client.certThumbprint().equals(tlsThumbprint)) {
            throw new OAuthFailure(OAuth2Error.INVALID_CLIENT, "the TLS client certificate is not the one registered"
                    + " for client " + client.clientId());
        }
    }

    /** The client's registered public keys, for the Nimbus verifier; a key id in the header narrows them. */
    private final class Selector implements ClientCredentialsSelector<Void> {
        /** Parsed key sets by their JSON: parsing a JWK set and building its keys costs more than a verification. */
        private final Map<String, List<JWK>> parsed = new ConcurrentHashMap<>();

        @Override
        public List<Secret> selectClientSecrets(ClientID id, ClientAuthenticationMethod method, Context<Void> ctx)
                throws InvalidClientException {
            throw new InvalidClientException("client secrets are not accepted");
        }

        @Override
        public List<? extends PublicKey> selectPublicKeys(ClientID id, ClientAuthenticationMethod method,
                                                          JWSHeader header, boolean forceRefresh, Context<Void> ctx)
                throws InvalidClientException {
            OAuthClient c = clients.find(id.getValue()).orElseThrow(() -> InvalidClientException.BAD_ID);
            if (c.jwks().isEmpty()) {
                throw InvalidClientException.NOT_REGISTERED_FOR_AUTH_METHOD;
            }
            List<JWK> keys;
            try {
                keys = keys(c.jwks().get());
            } catch (IllegalArgumentException e) {
                throw new InvalidClientException("the client's registered keys cannot be read");
            }
            List<PublicKey> out = new ArrayList<>();
            for (JWK k : keys) {
                boolean kidMatches = header.getKeyID() == null || header.getKeyID().equals(k.getKeyID());
                if (kidMatches && k instanceof AsymmetricJWK a) {
                    try {
                        out.add(a.toPublicKey());
                    } catch (JOSEException e) {
                        throw new InvalidClientException("the client's registered key " + k.getKeyID()
                                + " cannot be used");
                    }
                }
            }
            return out;
        }

        private List<JWK> keys(String json) {
            List<JWK> cached = parsed.get(json);
            if (cached != null) {
                return cached;
            }
            try {
                List<JWK> fresh = List.copyOf(JWKSet.parse(json).getKeys());
                if (parsed.size() > 100_000) {
                    parsed.clear(); // a bound; clients number far fewer
                }
                parsed.put(json, fresh);
                return fresh;
            } catch (ParseException e) {
                throw new IllegalArgumentException(e);
            }
        }
    }
}
