package dev.drawbridge.controller.power;

/**
 * A power operation failed: the BMC was unreachable, refused the credentials, timed out or answered
 * nonsense. Messages are built from redacted tool output, so they never contain the BMC password.
 */
public final class PowerException extends RuntimeException {
    public PowerException(String message) {
        super(message);
    }

    public PowerException(String message, Throwable cause) {
        super(message, cause);
    }
}
