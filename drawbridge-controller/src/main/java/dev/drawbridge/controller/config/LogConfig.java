package dev.drawbridge.controller.config;

/** Log output: {@code format} is {@code plain} or {@code json}; {@code level} is an SLF4J level name. */
public record LogConfig(String format, String level) {
    public static LogConfig defaults() {
        return new LogConfig("plain", "info");
    }
}
