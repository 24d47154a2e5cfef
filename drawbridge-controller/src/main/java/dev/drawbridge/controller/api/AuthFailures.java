package dev.drawbridge.controller.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed authentications per source address: a wrong or missing bearer token, or an unknown enrollment ticket.
 * After {@code api.auth-failures-per-minute} failures within {@link #WINDOW} a source gets 429 with {@code Retry-After} on every
 * request until its window ends. Failures are counted on {@code /metrics} by kind (never by source, which would let
 * a caller grow the metrics) and summarised into one audit row per source and minute by {@link #drain}, so a flood
 * of made-up credentials neither grows the store nor goes unrecorded. At most {@link #MAX_SOURCES} sources are
 * tracked; past that, ended windows are dropped and, while all are live, a new address is counted but not tracked.
 */
final class AuthFailures {
    static final Duration WINDOW = Duration.ofMinutes(1);
    static final int MAX_SOURCES = 100_000;

    /** Failures of one source in its current window, by kind, and when that window started. */
    private static final class Window {
        final Instant start;
        final Map<String, Integer> kinds = new LinkedHashMap<>();
        volatile int total;
        int reported;

        Window(Instant start) {
            this.start = start;
        }
    }

    /** One audit summary: a source, its failures by kind since the last summary, and whether it was throttled. */
    record Summary(String source, Map<String, Integer> kinds, boolean throttled) {}

    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    private final MeterRegistry registry;
    private final Counter throttled;
    private final Clock clock;
    private final int limit;

    AuthFailures(MeterRegistry registry, Clock clock, int limit) {
        this.limit = limit;
        this.registry = registry;
        this.clock = clock;
        this.throttled = Counter.builder("drawbridge.auth.throttled")
                .description("requests refused with 429 after repeated failed authentications").register(registry);
    }

    /** Records a failed authentication of {@code kind} ("bearer", "ticket") from {@code source}. */
    void failed(String source, String kind) {
        Counter.builder("drawbridge.auth.failures").description("failed authentications by kind")
                .tag("kind", kind).register(registry).increment();
        Instant now = clock.instant();
        if (windows.size() >= MAX_SOURCES && !windows.containsKey(source)) {
            windows.entrySet().removeIf(e -> !now.isBefore(e.getValue().start.plus(WINDOW)));
            if (windows.size() >= MAX_SOURCES) {
                return; // counted above; with this many addresses failing at once, new ones are not tracked
            }
        }
        Window cur = windows.compute(source, (k, w) -> w == null || !now.isBefore(w.start.plus(WINDOW))
                ? new Window(now) : w);
        synchronized (cur) {
            cur.kinds.merge(kind, 1, Integer::sum);
            cur.total++;
        }
    }

    /** Seconds until {@code source} may try again, when it has failed too often in its window. */
    OptionalLong retryAfter(String source) {
        Window w = windows.get(source);
        Instant now = clock.instant();
        if (w == null || w.total < limit || !now.isBefore(w.start.plus(WINDOW))) {
            return OptionalLong.empty();
        }
        throttled.increment();
        return OptionalLong.of(Math.max(1, Duration.between(now, w.start.plus(WINDOW)).toSeconds() + 1));
    }

    /** The failures not yet summarised, one per source; windows that have ended are forgotten. */
    List<Summary> drain() {
        Instant now = clock.instant();
        List<Summary> out = new ArrayList<>();
        for (var e : windows.entrySet()) {
            synchronized (e.getValue()) {
                Window w = e.getValue();
                if (w.total > w.reported) {
                    out.add(new Summary(e.getKey(), Map.copyOf(w.kinds), w.total >= limit));
                    w.reported = w.total;
                    w.kinds.clear();
                }
            }
            if (!now.isBefore(e.getValue().start.plus(WINDOW))) {
                windows.remove(e.getKey(), e.getValue());
            }
        }
        return out;
    }
}
