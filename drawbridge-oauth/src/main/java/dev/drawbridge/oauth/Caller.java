package dev.drawbridge.oauth;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Who made a request with a valid access token: the client, the scopes the token carries, the token's id and
 * expiry, the certificate thumbprint it is bound to (RFC 8705), and the node the client speaks for.
 */
public record Caller(String clientId, Set<ApiScope> scopes, String jti, Instant issuedAt, Instant expiresAt,
                     Optional<String> boundThumbprint, Optional<String> nodeId) {
    public Caller {
        scopes = Set.copyOf(scopes);
    }
}
