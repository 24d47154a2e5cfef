package dev.drawbridge.agent;

/** The agent cannot start or cannot go on: a bad payload, an unreadable data directory, a port in use. */
public final class AgentException extends RuntimeException {
    public AgentException(String message) {
        super(message);
    }

    public AgentException(String message, Throwable cause) {
        super(message, cause);
    }
}
