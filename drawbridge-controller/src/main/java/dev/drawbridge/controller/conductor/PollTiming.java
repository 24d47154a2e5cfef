package dev.drawbridge.controller.conductor;

import dev.drawbridge.controller.config.ConductorConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleSupplier;

/**
 * When each node is next polled: busy nodes every {@code busy-poll-interval}; settled ones every
 * {@code poll-interval} with jitter; an agent that does not answer backs off exponentially up to
 * {@code max-backoff}, and a node woken by an operator goes at the next tick. Pure timing: the caller passes the
 * time, so it runs on a test clock.
 */
final class PollTiming {
    private final ConductorConfig cfg;
    private final DoubleSupplier random;
    private final Map<String, Instant> nextPoll = new ConcurrentHashMap<>();
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();

    /** {@code random}: uniform in [0, 1), for the jitter. */
    PollTiming(ConductorConfig cfg, DoubleSupplier random) {
        this.cfg = cfg;
        this.random = random;
    }

    /** Whether the node is due for a poll at {@code now} (a node never polled is). */
    boolean isDue(String id, Instant now) {
        Instant at = nextPoll.get(id);
        return at == null || !at.isAfter(now);
    }

    /** When the node became due; empty when it was never polled by this conductor. */
    Optional<Instant> dueSince(String id) {
        return Optional.ofNullable(nextPoll.get(id));
    }

    /** The agent answered: its misses are forgotten and its next poll set. */
    void answered(String id, boolean busy, Instant now) {
        failures.remove(id);
        nextPoll.put(id, now.plus(busy ? cfg.busyPollInterval() : jittered(cfg.pollInterval())));
    }

    /** The agent did not answer; returns how many polls in a row it has missed, and backs its next poll off. */
    int missed(String id, boolean busy, Instant now) {
        int n = failures.merge(id, 1, Integer::sum);
        Duration backoff = cfg.pollInterval().multipliedBy(1L << Math.min(n, 10));
        nextPoll.put(id, now.plus(backoff.compareTo(cfg.maxBackoff()) > 0 ? cfg.maxBackoff()
                : busy ? cfg.busyPollInterval().multipliedBy(1L << Math.min(n, 6)) : backoff));
        return n;
    }

    /** The poll failed for a reason of ours, not the agent's: try again after one interval. */
    void failed(String id, Instant now) {
        nextPoll.put(id, now.plus(cfg.pollInterval()));
    }

    /** Poll the node at the next tick, with its misses forgotten. */
    void wake(String id) {
        nextPoll.remove(id);
        failures.remove(id);
    }

    private Duration jittered(Duration base) {
        double spread = cfg.jitter() * (random.getAsDouble() * 2 - 1);
        return Duration.ofMillis(Math.max(1, (long) (base.toMillis() * (1 + spread))));
    }
}
