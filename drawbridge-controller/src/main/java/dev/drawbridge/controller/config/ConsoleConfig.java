package dev.drawbridge.controller.config;

import java.time.Duration;

/**
 * Management-console certificate exchange ({@code /ibm/v1/Host/...}). {@code upstream} is
 * {@code builtin} (our CA), {@code command} (a program reading a CSR on stdin and printing a
 * certificate) or {@code http} (POST of the CSR to {@code http-url}). Off means the endpoints answer 404.
 */
public record ConsoleConfig(boolean enabled, String upstream, String command, String httpUrl,
                            String upstreamRootFile, Duration deadline, int maxInFlight, int retryAfterSeconds) {
    public static ConsoleConfig defaults() {
        return new ConsoleConfig(true, "builtin", "", "", "", Duration.ofSeconds(30), 512, 60);
    }

    public ConsoleConfig withUpstream(String kind, String commandLine, String url, Duration wait) {
        return new ConsoleConfig(enabled, kind, commandLine, url, upstreamRootFile, wait, maxInFlight, retryAfterSeconds);
    }

    public ConsoleConfig withEnabled(boolean value) {
        return new ConsoleConfig(value, upstream, command, httpUrl, upstreamRootFile, deadline, maxInFlight, retryAfterSeconds);
    }
}
