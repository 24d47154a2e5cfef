package dev.drawbridge.oauth;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where clients and revoked tokens are kept. The controller implements it on its store; every method commits on
 * its own. Tokens themselves are not stored: they are signed JWTs, refused after revocation by their {@code jti}.
 */
public interface OAuthStore {
    /**
     * Adds a client; false when the store already holds {@code maxClients} clients or a client with this id (nothing
     * is written then).
     */
    boolean insert(OAuthClient client, int maxClients);

    Optional<OAuthClient> find(String clientId);

    List<OAuthClient> list();

    /** Replaces a client's row; false when it no longer exists. */
    boolean update(OAuthClient client);

    boolean delete(String clientId);

    /** A token is refused from now until its expiry. */
    void revokeToken(String jti, String clientId, Instant expiresAt, Instant at);

    /** Token ids revoked and not yet expired at {@code now}. */
    List<String> revokedTokens(Instant now);
}
