package dev.drawbridge.controller.conductor;

/** What one step of a busy node's job decided. */
sealed interface PhaseOutcome {
    /** Nothing more to do now; poll again soon. */
    record Wait() implements PhaseOutcome {}

    /** The job moved on (new phase or command id) and was saved. */
    record Advanced(Job job) implements PhaseOutcome {}

    /** Every phase is done: the node takes the DONE transition. */
    record Done() implements PhaseOutcome {}

    /** The job failed: the node goes to error with this reason, and the agent is told nothing more. */
    record Failed(String reason) implements PhaseOutcome {}
}
