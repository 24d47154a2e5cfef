package dev.drawbridge.controller.conductor;

import dev.drawbridge.controller.config.ConductorConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleSupplier;

/**
 * When each node is next polled: busy nodes every {@code busy-poll-interval}; settled ones every
 * {@code poll-interval} with jitter; an agent that does not answer backs off exponentially up to
 * {@code max-backoff}, and a node woken by an operator goes at the next tick. Pure timing: the caller passes the
 * time, so it runs on a test clock.
 *
 * <p>Every time set is also queued, so the conductor's tick takes the nodes whose time came ({@link #due}) instead of
 * asking every node whether it is due five times a second; an entry whose node got another time since is skipped when
 * it comes up. A node the conductor may poll from now on (new, taken over and read, woken) is queued by
 * {@link #arrived}.
 */
final class PollTiming {
    /** A node queued for a time (ms; {@link Long#MIN_VALUE}: never polled, or woken). */
    private record Slot(long at, String id) implements Comparable<Slot> {
        @Override
        public int compareTo(Slot o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : id.compareTo(o.id);
        }
    }

    private final ConductorConfig cfg;
    private final DoubleSupplier random;
    private final Map<String, Instant> nextPoll = new ConcurrentHashMap<>();
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();
    private final PriorityQueue<Slot> queue = new PriorityQueue<>(); // guarded by itself

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

    /**
     * The nodes whose time has come by {@code now}, each once, taken off the queue: the caller polls them, or hands
     * back with {@link #arrived} those it could not start now.
     */
    Set<String> due(Instant now) {
        long limit = now.toEpochMilli();
        Set<String> out = new LinkedHashSet<>();
        synchronized (queue) {
            while (!queue.isEmpty() && queue.peek().at() <= limit) {
                Slot s = queue.poll();
                Instant at = nextPoll.get(s.id());
                if (at == null ? s.at() == Long.MIN_VALUE : key(at) == s.at()) {
                    out.add(s.id()); // still the node's time; a slot for an older time is dropped
                }
            }
        }
        return out;
    }

    /** Queues the node for its current time (at once when it has none): it may be polled from now on. */
    void arrived(String id) {
        Instant at = nextPoll.get(id);
        enqueue(id, at == null ? Long.MIN_VALUE : key(at));
    }

    /** Entries in the queue, current or not (a test checks that stale entries do not pile up). */
    int queued() {
        synchronized (queue) {
            return queue.size();
        }
    }

    private void set(String id, Instant at) {
        nextPoll.put(id, at);
        enqueue(id, key(at));
    }

    /**
     * A time as the queue keeps it: milliseconds rounded up, so a slot comes up only once {@link #isDue} agrees (a
     * time of 1000.7 ms taken off the queue at 1000.3 ms would be judged not due, dropped, and the node left
     * unpolled until the conductor's next walk over every node).
     */
    private static long key(Instant at) {
        long ms = at.toEpochMilli();
        return at.getNano() % 1_000_000 == 0 ? ms : ms + 1;
    }

    private void enqueue(String id, long at) {
        synchronized (queue) {
            queue.add(new Slot(at, id));
        }
    }

    /** When the node became due; empty when it was never polled by this conductor. */
    Optional<Instant> dueSince(String id) {
        return Optional.ofNullable(nextPoll.get(id));
    }

    /** The agent answered: its misses are forgotten and its next poll set. */
    void answered(String id, boolean busy, Instant now) {
        failures.remove(id);
        set(id, now.plus(busy ? cfg.busyPollInterval() : jittered(cfg.pollInterval())));
    }

    /** The agent did not answer; returns how many polls in a row it has missed, and backs its next poll off. */
    int missed(String id, boolean busy, Instant now) {
        int n = failures.merge(id, 1, Integer::sum);
        Duration backoff = cfg.pollInterval().multipliedBy(1L << Math.min(n, 10));
        set(id, now.plus(backoff.compareTo(cfg.maxBackoff()) > 0 ? cfg.maxBackoff()
                : busy ? cfg.busyPollInterval().multipliedBy(1L << Math.min(n, 6)) : backoff));
        return n;
    }

    /** The poll failed for a reason of ours, not the agent's: try again after one interval. */
    void failed(String id, Instant now) {
        set(id, now.plus(cfg.pollInterval()));
    }

    /** Poll the node at the next tick, with its misses forgotten. */
    void wake(String id) {
        nextPoll.remove(id);
        failures.remove(id);
        enqueue(id, Long.MIN_VALUE);
    }

    private Duration jittered(Duration base) {
        double spread = cfg.jitter() * (random.getAsDouble() * 2 - 1);
        return Duration.ofMillis(Math.max(1, (long) (base.toMillis() * (1 + spread))));
    }
}
