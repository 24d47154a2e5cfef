package dev.drawbridge.controller.inventory;

import java.util.Locale;

/** Lifecycle states (DESIGN.md section 3); the moves between them are in {@link Lifecycle}. */
public enum NodeState {
    DISCOVERED, ENROLLING, MANAGEABLE, CLEANING, AVAILABLE, DEPLOYING, ACTIVE, RESCUING, RESCUE, ERROR, FENCED, RETIRED;

    /** Lower-case wire form, as in the API and the store. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The {@code *ing} states: the conductor is working on the node, and a deadline runs. */
    public boolean busy() {
        return this == ENROLLING || this == CLEANING || this == DEPLOYING || this == RESCUING;
    }
}
