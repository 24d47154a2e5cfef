package dev.drawbridge.protocol;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One command as the agent reports it at {@code GET /v1/commands/{id}}. {@code result} is set when
 * SUCCEEDED, {@code error} when FAILED, {@code progress} while a long command runs.
 */
public record CommandStatus(String id, String name, Status status, Optional<Map<String, Object>> result,
                            Optional<String> error, Optional<Progress> progress, Instant startedAt,
                            Optional<Instant> finishedAt) {
    /** Lifecycle of one command. */
    public enum Status {
        RUNNING, SUCCEEDED, FAILED;

        /** The status named in a reply, or empty when the name is not one of these. */
        public static Optional<Status> parse(String name) {
            for (Status s : values()) {
                if (s.name().equals(name)) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    /** How far a long command is: {@code done} of {@code total} units (bytes for images). */
    public record Progress(long done, long total, String message) {}
}
