package dev.drawbridge.controller.config;

/** The configuration cannot be used; the message names the key or file and what to fix. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
