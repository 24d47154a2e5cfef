package dev.drawbridge.controller.trust;

import com.nimbusds.jose.jwk.ECKey;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.Sealer;
import dev.drawbridge.oauth.ApiScope;
import dev.drawbridge.oauth.OAuthClient;
import dev.drawbridge.oauth.OAuthStore;
import dev.drawbridge.oauth.SigningKeys;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.text.ParseException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * The authorization server's clients, signing keys and revoked tokens on the controller's store. Signing keys are
 * sealed under the data directory's {@code store.kek} ({@link Sealer}), so a copy of the database alone signs
 * nothing. Each call is one transaction.
 */
final class JdbiOAuthStore implements OAuthStore, SigningKeys.KeyVault {
    private static final String COLUMNS = "client_id, name, auth_method, jwks, cert_thumbprint, scopes, status,"
            + " node_id, registration_token, metadata, decision, created_at, updated_at, revoked_before";

    private final Database db;
    private final Sealer sealer;

    JdbiOAuthStore(Database db, Sealer sealer) {
        this.db = db;
        this.sealer = sealer;
    }

    @Override
    public boolean insert(OAuthClient c, int maxClients) {
        return db.inTransaction(h -> {
            long count = h.createQuery("SELECT COUNT(*) FROM oauth_clients").mapTo(Long.class).one();
            if (count >= maxClients) {
                return false;
            }
            // Two controllers starting on one fresh store both add the operators' client: the second finds it there.
            return h.createUpdate("INSERT INTO oauth_clients (" + COLUMNS + ") VALUES (:id, :name, :method, :jwks,"
                            + " :thumb, :scopes, :status, :node, :reg, :md, :decision, :created, :updated,"
                            + " :revokedBefore) ON CONFLICT (client_id) DO NOTHING")
                    .bind("id", c.clientId()).bind("name", c.name()).bind("method", c.authMethod().wire())
                    .bind("jwks", c.jwks().orElse(null)).bind("thumb", c.certThumbprint().orElse(null))
                    .bind("scopes", ApiScope.join(c.scopes())).bind("status", c.status().wire())
                    .bind("node", c.nodeId().orElse(null)).bind("reg", c.registrationToken())
                    .bind("md", c.metadata()).bind("decision", c.decision())
                    .bind("created", c.createdAt().toEpochMilli()).bind("updated", c.updatedAt().toEpochMilli())
                    .bind("revokedBefore", c.revokedBefore().toEpochMilli()).execute() == 1;
        });
    }

    @Override
    public Optional<OAuthClient> find(String clientId) {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM oauth_clients WHERE client_id = :id")
                .bind("id", clientId).map(JdbiOAuthStore::client).findFirst());
    }

    @Override
    public List<OAuthClient> list() {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM oauth_clients ORDER BY created_at, client_id")
                .map(JdbiOAuthStore::client).list());
    }

    @Override
    public boolean update(OAuthClient c) {
        return db.inTransaction(h -> h.createUpdate("UPDATE oauth_clients SET name = :name, jwks = :jwks,"
                        + " scopes = :scopes, status = :status, metadata = :md, updated_at = :updated,"
                        + " revoked_before = :revokedBefore WHERE client_id = :id")
                .bind("name", c.name()).bind("jwks", c.jwks().orElse(null)).bind("scopes", ApiScope.join(c.scopes()))
                .bind("status", c.status().wire()).bind("md", c.metadata()).bind("updated", c.updatedAt().toEpochMilli())
                .bind("revokedBefore", c.revokedBefore().toEpochMilli()).bind("id", c.clientId()).execute() == 1);
    }

    @Override
    public boolean delete(String clientId) {
        return db.inTransaction(h -> h.createUpdate("DELETE FROM oauth_clients WHERE client_id = :id")
                .bind("id", clientId).execute() == 1);
    }

    @Override
    public void revokeToken(String jti, String clientId, Instant expiresAt, Instant at) {
        db.inTransaction(h -> {
            // Expired revocations are dropped on the way: a token past its expiry is refused anyway.
            h.createUpdate("DELETE FROM oauth_revoked_tokens WHERE expires_at < :now").bind("now", at.toEpochMilli())
                    .execute();
            h.createUpdate("INSERT INTO oauth_revoked_tokens (jti, client_id, expires_at, revoked_at)"
                            + " VALUES (:jti, :client, :exp, :at) ON CONFLICT (jti) DO NOTHING")
                    .bind("jti", jti).bind("client", clientId).bind("exp", expiresAt.toEpochMilli())
                    .bind("at", at.toEpochMilli()).execute();
            return null;
        });
    }

    @Override
    public List<String> revokedTokens(Instant now) {
        return db.read(h -> h.createQuery("SELECT jti FROM oauth_revoked_tokens WHERE expires_at > :now")
                .bind("now", now.toEpochMilli()).mapTo(String.class).list());
    }

    @Override
    public List<SigningKeys.Key> load() {
        return db.read(h -> h.createQuery("SELECT kid, sealed_jwk, created_at, retired_at FROM oauth_keys")
                .map((rs, ctx) -> key(rs)).list());
    }

    private SigningKeys.Key key(ResultSet rs) throws SQLException {
        String kid = rs.getString("kid");
        long retired = rs.getLong("retired_at");
        Optional<Instant> retiredAt = rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(retired));
        try {
            ECKey jwk = ECKey.parse(new String(sealer.open(owner(kid), rs.getString("sealed_jwk")),
                    StandardCharsets.UTF_8));
            return new SigningKeys.Key(jwk, Instant.ofEpochMilli(rs.getLong("created_at")), retiredAt);
        } catch (ParseException e) {
            throw new IllegalStateException("the stored OAuth signing key " + kid + " is not an EC JWK", e);
        }
    }

    @Override
    public void add(SigningKeys.Key key) {
        db.inTransaction(h -> h.createUpdate("INSERT INTO oauth_keys (kid, sealed_jwk, created_at) VALUES (:kid, :jwk,"
                        + " :at)").bind("kid", key.kid())
                .bind("jwk", sealer.seal(owner(key.kid()), key.jwk().toJSONString().getBytes(StandardCharsets.UTF_8)))
                .bind("at", key.created().toEpochMilli()).execute());
    }

    @Override
    public void retire(String kid, Instant at) {
        db.inTransaction(h -> h.createUpdate("UPDATE oauth_keys SET retired_at = :at WHERE kid = :kid")
                .bind("at", at.toEpochMilli()).bind("kid", kid).execute());
    }

    @Override
    public void remove(String kid) {
        db.inTransaction(h -> h.createUpdate("DELETE FROM oauth_keys WHERE kid = :kid").bind("kid", kid).execute());
    }

    private static String owner(String kid) {
        return "oauth-key " + kid;
    }

    private static OAuthClient client(ResultSet rs, StatementContext ctx) throws SQLException {
        return new OAuthClient(rs.getString("client_id"), rs.getString("name"),
                OAuthClient.AuthMethod.parse(rs.getString("auth_method")).orElseThrow(),
                Optional.ofNullable(rs.getString("jwks")), Optional.ofNullable(rs.getString("cert_thumbprint")),
                ApiScope.parseList(rs.getString("scopes")),
                OAuthClient.Status.parse(rs.getString("status")).orElseThrow(),
                Optional.ofNullable(rs.getString("node_id")), rs.getString("registration_token"),
                rs.getString("metadata"), rs.getString("decision"), Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("updated_at")), Instant.ofEpochMilli(rs.getLong("revoked_before")));
    }

}
