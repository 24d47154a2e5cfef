package dev.drawbridge.controller.inventory;

/** Lifecycle states (DESIGN.md section 3). The transition table arrives with the conductor. */
public enum NodeState {
    DISCOVERED, ENROLLING, MANAGEABLE, CLEANING, AVAILABLE, DEPLOYING, ACTIVE, RESCUING, RESCUE, ERROR, FENCED, RETIRED;

    /** Lower-case wire form, as in the API and the store. */
    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
