package dev.drawbridge.controller.config;

import java.time.Duration;

/**
 * The REST API: the largest request body accepted (bigger ones get 413), the concurrent request cap, how many
 * failed authentications one source address may make in a minute before it gets 429 until the minute is over, and
 * how long a connection may sit idle between requests before the server closes it, and how long a client may take
 * to send a request's head (from its first line to the blank line after the headers) before the server closes the
 * connection.
 */
public record ApiConfig(int maxBodyBytes, int maxConcurrentRequests, int authFailuresPerMinute,
                        Duration idleConnectionTimeout, Duration requestHeadTimeout) {
    public static ApiConfig defaults() {
        return new ApiConfig(64 * 1024, 2048, 30, Duration.ofSeconds(60), Duration.ofSeconds(10));
    }

    public ApiConfig withAuthFailuresPerMinute(int value) {
        return new ApiConfig(maxBodyBytes, maxConcurrentRequests, value, idleConnectionTimeout, requestHeadTimeout);
    }

    public ApiConfig withIdleConnectionTimeout(Duration value) {
        return new ApiConfig(maxBodyBytes, maxConcurrentRequests, authFailuresPerMinute, value, requestHeadTimeout);
    }

    public ApiConfig withRequestHeadTimeout(Duration value) {
        return new ApiConfig(maxBodyBytes, maxConcurrentRequests, authFailuresPerMinute, idleConnectionTimeout, value);
    }
}
