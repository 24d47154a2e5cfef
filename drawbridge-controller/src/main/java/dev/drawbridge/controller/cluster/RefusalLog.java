package dev.drawbridge.controller.cluster;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Warnings about refused writes, at most {@code burst} lines per {@code window}. A member whose claims all went at
 * once (a stall, or a start whose first ring moved thousands of nodes) would otherwise log one line per write its
 * polls still tried, thousands in a second, and bury everything else in the log. The lines past the burst are
 * counted, and the first line of a later window says how many were left out; the cluster's counter of fenced writes
 * counts every one.
 */
final class RefusalLog {
    private final Logger log;
    private final int burst;
    private final long windowNanos;
    private final LongSupplier nanos;
    private long windowStart;
    private int lines;
    private long quiet;

    RefusalLog(Logger log, int burst, Duration window, LongSupplier nanos) {
        if (burst < 1) {
            throw new IllegalArgumentException("a burst must allow at least one line");
        }
        this.log = log;
        this.burst = burst;
        this.windowNanos = window.toNanos();
        this.nanos = nanos;
        this.windowStart = nanos.getAsLong();
    }

    /** Logs one refusal, {@code format} and {@code args} as for SLF4J, unless this window's burst is spent. */
    synchronized void warn(String format, Object... args) {
        long now = nanos.getAsLong();
        if (now - windowStart >= windowNanos) {
            windowStart = now;
            lines = 0;
        }
        if (lines >= burst) {
            quiet++;
            return;
        }
        lines++;
        if (quiet > 0) {
            log.warn("{} more refused writes were not logged (at most {} lines every {} s)", quiet, burst,
                    windowNanos / 1_000_000_000L);
            quiet = 0;
        }
        log.warn(format, args);
    }
}
