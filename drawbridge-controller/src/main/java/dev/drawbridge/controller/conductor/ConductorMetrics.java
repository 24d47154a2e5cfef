package dev.drawbridge.controller.conductor;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the conductor reports on {@code /metrics}: how late polls start against their schedule, how long a tick
 * takes, how many polls ran, and how many store writes it made by kind. The lateness histogram has buckets, so a
 * benchmark can take percentiles over its own window by differencing two scrapes.
 */
final class ConductorMetrics {
    private final MeterRegistry registry;
    private final Timer lateness;
    private final Timer tick;
    private final Counter polls;
    private final Counter batched;
    private final Map<String, Counter> writes = new ConcurrentHashMap<>();
    private final Counter renewed;
    private final Map<String, Counter> scheduleReads = new ConcurrentHashMap<>();
    private final Counter renewalFailed;

    ConductorMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.lateness = Timer.builder("drawbridge.conductor.poll.lateness")
                .description("when a poll started minus when it was scheduled")
                .publishPercentiles(0.5, 0.99).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(1))
                .register(registry);
        this.tick = Timer.builder("drawbridge.conductor.tick").description("one pass over the nodes to start due polls")
                .publishPercentiles(0.5, 0.99).register(registry);
        this.batched = Counter.builder("drawbridge.conductor.store.batched.rows")
                .description("rows written in batches (last_seen of routine polls)").register(registry);
        this.polls = Counter.builder("drawbridge.conductor.polls").description("polls started").register(registry);
        this.renewed = Counter.builder("drawbridge.certificate.renewals")
                .description("node certificates renewed over the poll channel").register(registry);
        this.renewalFailed = Counter.builder("drawbridge.certificate.renewal.failures")
                .description("node certificate renewals that failed (retried at the next poll)").register(registry);
    }

    void late(Duration d) {
        lateness.record(d.isNegative() ? Duration.ZERO : d);
    }

    void tick(long nanos) {
        tick.record(Duration.ofNanos(nanos));
    }

    void polled() {
        polls.increment();
    }

    void renewed(boolean ok) {
        (ok ? renewed : renewalFailed).increment();
    }

    void batched(int rows) {
        batched.increment(rows);
    }

    /**
     * Nodes read from the store into the schedule, by what asked: {@code tick} (changed by this controller or, as
     * the store's marks say, by another writer), {@code gained} (taken over from another member), {@code reload}
     * (a full reload's prints moved, or its changed set), {@code poll} (a busy node after its step). A fleet at rest
     * reads none; a steady count here is work each controller pays whatever its share.
     */
    void read(String by, int nodes) {
        if (nodes > 0) {
            tagged(scheduleReads, "drawbridge.conductor.schedule.reads",
                    "nodes read from the store into the conductor's schedule", "by", by).increment(nodes);
        }
    }

    /** One committed write transaction to the store, of {@code kind} (seen, job, verdict, ...). */
    void wrote(String kind) {
        tagged(writes, "drawbridge.conductor.store.writes", "store write transactions made by the conductor",
                "kind", kind).increment();
    }

    /** The counter {@code name} for one value of its one tag, registered on first use (callers pass fixed values). */
    private Counter tagged(Map<String, Counter> byValue, String name, String description, String tag, String value) {
        return byValue.computeIfAbsent(value, v -> Counter.builder(name).description(description).tag(tag, v)
                .register(registry));
    }
}
