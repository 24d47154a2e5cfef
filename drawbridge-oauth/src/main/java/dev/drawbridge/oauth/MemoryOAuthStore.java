package dev.drawbridge.oauth;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-memory store and key vault: for an agent in a management-controller role, whose few clients (its
 * controller) register again after a restart, and for tests of the server alone. The controller's is on its database.
 */
public final class MemoryOAuthStore implements OAuthStore, SigningKeys.KeyVault {
    final Map<String, OAuthClient> clients = new ConcurrentHashMap<>();
    final Map<String, Instant> revoked = new ConcurrentHashMap<>();
    final Map<String, SigningKeys.Key> keys = new ConcurrentHashMap<>();

    @Override
    public synchronized boolean insert(OAuthClient client, int maxClients) {
        if (clients.size() >= maxClients || clients.containsKey(client.clientId())) {
            return false;
        }
        clients.put(client.clientId(), client);
        return true;
    }

    @Override
    public Optional<OAuthClient> find(String clientId) {
        return Optional.ofNullable(clients.get(clientId));
    }

    @Override
    public List<OAuthClient> list() {
        return new ArrayList<>(clients.values());
    }

    @Override
    public boolean update(OAuthClient client) {
        return clients.replace(client.clientId(), client) != null;
    }

    @Override
    public boolean delete(String clientId) {
        return clients.remove(clientId) != null;
    }

    @Override
    public void revokeToken(String jti, String clientId, Instant expiresAt, Instant at) {
        revoked.put(jti, expiresAt);
    }

    @Override
    public List<String> revokedTokens(Instant now) {
        return revoked.entrySet().stream().filter(e -> e.getValue().isAfter(now)).map(Map.Entry::getKey).toList();
    }

    @Override
    public List<SigningKeys.Key> load() {
        return new ArrayList<>(keys.values());
    }

    @Override
    public void add(SigningKeys.Key key) {
        keys.put(key.kid(), key);
    }

    @Override
    public void retire(String kid, Instant at) {
        keys.computeIfPresent(kid, (k, v) -> new SigningKeys.Key(v.jwk(), v.created(), Optional.of(at)));
    }

    @Override
    public void remove(String kid) {
        keys.remove(kid);
    }
}
