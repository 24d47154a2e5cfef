package dev.drawbridge.controller.power;

import java.time.Duration;

/**
 * Whether a power off was confirmed by reading the state back. Fencing counts only {@link Confirmed}:
 * a BMC that accepted the command but still reads ON (or cannot be read) has not fenced anything.
 */
public sealed interface OffResult {
    /** The BMC read back OFF, this long after the off command was sent. */
    record Confirmed(Duration took) implements OffResult {}

    /** OFF was never read back; the reason says what was seen last. */
    record NotConfirmed(String reason) implements OffResult {}
}
