package dev.drawbridge.controller.config;

/**
 * The REST API: the largest request body accepted (bigger ones get 413), the concurrent request cap, and how many
 * failed authentications one source address may make in a minute before it gets 429 until the minute is over.
 */
public record ApiConfig(int maxBodyBytes, int maxConcurrentRequests, int authFailuresPerMinute) {
    public static ApiConfig defaults() {
        return new ApiConfig(64 * 1024, 2048, 30);
    }

    public ApiConfig withAuthFailuresPerMinute(int value) {
        return new ApiConfig(maxBodyBytes, maxConcurrentRequests, value);
    }
}
