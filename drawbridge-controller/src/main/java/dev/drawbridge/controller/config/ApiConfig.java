package dev.drawbridge.controller.config;

/** The REST API: the largest request body accepted (bigger ones get 413) and the concurrent request cap. */
public record ApiConfig(int maxBodyBytes, int maxConcurrentRequests) {
    public static ApiConfig defaults() {
        return new ApiConfig(64 * 1024, 2048);
    }
}
