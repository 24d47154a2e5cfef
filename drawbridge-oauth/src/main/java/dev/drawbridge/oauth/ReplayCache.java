package dev.drawbridge.oauth;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The client assertion ids ({@code jti}) already used, each kept until its assertion expires, so every assertion is
 * accepted once, atomically (two requests racing with one assertion: one wins). It lives in memory: until every
 * assertion that could have been accepted before this server started has expired, an assertion must carry an
 * {@code iat} after {@link #startedAt()} (ClientAuthenticator checks), so a restart opens no window for replays. Bounded: at {@code limit} live entries, new assertions are refused until
 * old ones expire.
 */
final class ReplayCache {
    private final Map<String, Long> seen = new ConcurrentHashMap<>();
    private final Clock clock;
    private final int limit;
    private final Instant startedAt;

    ReplayCache(Clock clock, int limit) {
        this.clock = clock;
        this.limit = limit;
        this.startedAt = clock.instant();
    }

    Instant startedAt() {
        return startedAt;
    }

    /** Whether the cache is at its limit even after dropping expired entries. */
    boolean full() {
        if (seen.size() < limit) {
            return false;
        }
        long now = clock.millis();
        seen.values().removeIf(exp -> exp <= now);
        return seen.size() >= limit;
    }

    /** Marks the assertion used unless it already was (and has not expired); true when this call was the first. */
    boolean firstUse(String clientId, String jti, Instant exp) {
        String key = clientId + " " + jti;
        Long before = seen.putIfAbsent(key, exp.toEpochMilli());
        if (before == null) {
            return true;
        }
        return before <= clock.millis() && seen.replace(key, before, exp.toEpochMilli());
    }
}
