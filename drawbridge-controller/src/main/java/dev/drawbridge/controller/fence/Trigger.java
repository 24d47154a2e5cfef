package dev.drawbridge.controller.fence;

import java.util.Locale;

/** Who asked for a fence. Every fence starts at {@link FenceService#fence}, whoever asks. */
public enum Trigger {
    /** An operator, through the API or the CLI. */
    OPERATOR,
    /** A quote that did not verify, or a verdict that turned untrusted. */
    ATTESTATION,
    /** An active node whose agent stayed silent for {@code fencing.unreachable-after} polls. */
    UNREACHABLE;

    /** The name stored in {@code fences.trigger_kind} and shown in the API. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
