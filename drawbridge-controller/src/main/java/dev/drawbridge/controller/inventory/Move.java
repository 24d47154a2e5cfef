package dev.drawbridge.controller.inventory;

import java.time.Instant;
import java.util.Optional;

/**
 * One change of a node's state, as {@link NodeRepository#transition} takes it: the {@link Lifecycle} event, and the
 * reason, deadline and job (as JSON) the node is left with. What is not given is cleared.
 */
public record Move(Lifecycle.Event event, Optional<String> reason, Optional<Instant> deadline, Optional<String> job) {
    /** The event alone: no reason, no deadline, no job. */
    public static Move by(Lifecycle.Event event) {
        return new Move(event, Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** This move, leaving {@code why} as the node's reason. */
    public Move because(String why) {
        return new Move(event, Optional.of(why), deadline, job);
    }

    /** This move, with the new state to be left by {@code at}. */
    public Move until(Instant at) {
        return new Move(event, reason, Optional.of(at), job);
    }

    /** This move, leaving {@code json} as the node's job. */
    public Move withJob(String json) {
        return new Move(event, reason, deadline, Optional.of(json));
    }
}
