package dev.drawbridge.agent;

/** A command ran and failed for a reason the caller should read (its message becomes CommandStatus.error). */
final class CommandFailed extends RuntimeException {
    CommandFailed(String message) {
        super(message);
    }

    CommandFailed(String message, Throwable cause) {
        super(message, cause);
    }
}
