package dev.drawbridge.controller.config;

import java.time.Duration;

/** Enrollment tickets: how long a one-time secret stays valid after it is made. */
public record EnrollmentConfig(Duration ticketLifetime) {
    public static EnrollmentConfig defaults() {
        return new EnrollmentConfig(Duration.ofHours(1));
    }
}
