package dev.drawbridge.oauth;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registered clients, read through to the store and kept in memory, so the check on every request (is the
 * client still enabled?) costs no query. Every change goes through here, store first, then memory.
 */
final class Clients {
    private final OAuthStore store;
    private final Map<String, OAuthClient> byId = new ConcurrentHashMap<>();

    Clients(OAuthStore store) {
        this.store = store;
        store.list().forEach(c -> byId.put(c.clientId(), c));
    }

    Optional<OAuthClient> find(String clientId) {
        return Optional.ofNullable(byId.get(clientId));
    }

    Collection<OAuthClient> all() {
        return List.copyOf(byId.values());
    }

    boolean add(OAuthClient c, int max) {
        if (!store.insert(c, max)) {
            return false;
        }
        byId.put(c.clientId(), c);
        return true;
    }

    /** Takes {@code clientId}'s row from the store into memory (another controller on the store wrote it). */
    void reload(String clientId) {
        store.find(clientId).ifPresent(c -> byId.put(c.clientId(), c));
    }

    boolean replace(OAuthClient c) {
        if (!store.update(c)) {
            byId.remove(c.clientId());
            return false;
        }
        byId.put(c.clientId(), c);
        return true;
    }

    boolean remove(String clientId) {
        boolean gone = store.delete(clientId);
        byId.remove(clientId);
        return gone;
    }
}
