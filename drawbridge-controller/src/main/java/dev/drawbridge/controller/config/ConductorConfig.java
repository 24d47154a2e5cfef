package dev.drawbridge.controller.config;

import java.time.Duration;

/**
 * The conductor, which polls every agent (the agent never calls us). Each node is polled every
 * {@code poll-interval} with up to {@code jitter} (a fraction) of random spread; an agent that does not
 * answer backs off exponentially up to {@code max-backoff} and is flagged unreachable after
 * {@code unreachable-after} missed intervals. Every {@code *ing} state has its own deadline.
 */
public record ConductorConfig(boolean enabled, Duration pollInterval, double jitter, Duration requestTimeout,
                              int maxConcurrentPolls, int unreachableAfter, Duration maxBackoff,
                              Duration enrollingDeadline, Duration cleaningDeadline, Duration deployingDeadline,
                              Duration rescuingDeadline, Duration busyPollInterval) {
    public static ConductorConfig defaults() {
        return new ConductorConfig(true, Duration.ofSeconds(10), 0.2, Duration.ofSeconds(5), 256, 3,
                Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofMinutes(60),
                Duration.ofMinutes(30), Duration.ofMillis(500));
    }

    public ConductorConfig withEnabled(boolean value) {
        return new ConductorConfig(value, pollInterval, jitter, requestTimeout, maxConcurrentPolls, unreachableAfter,
                maxBackoff, enrollingDeadline, cleaningDeadline, deployingDeadline, rescuingDeadline, busyPollInterval);
    }

    public ConductorConfig withPollInterval(Duration interval) {
        return new ConductorConfig(enabled, interval, jitter, requestTimeout, maxConcurrentPolls, unreachableAfter,
                maxBackoff, enrollingDeadline, cleaningDeadline, deployingDeadline, rescuingDeadline, busyPollInterval);
    }

    public ConductorConfig withBusyPollInterval(Duration d) {
        return new ConductorConfig(enabled, pollInterval, jitter, requestTimeout, maxConcurrentPolls, unreachableAfter,
                maxBackoff, enrollingDeadline, cleaningDeadline, deployingDeadline, rescuingDeadline, d);
    }

    public ConductorConfig withDeployingDeadline(Duration d) {
        return new ConductorConfig(enabled, pollInterval, jitter, requestTimeout, maxConcurrentPolls, unreachableAfter,
                maxBackoff, enrollingDeadline, cleaningDeadline, d, rescuingDeadline, busyPollInterval);
    }

    /** The same with another request timeout and bound on polls in flight. */
    public ConductorConfig withRequests(Duration timeout, int maxInFlight) {
        return new ConductorConfig(enabled, pollInterval, jitter, timeout, maxInFlight, unreachableAfter,
                maxBackoff, enrollingDeadline, cleaningDeadline, deployingDeadline, rescuingDeadline, busyPollInterval);
    }
}
