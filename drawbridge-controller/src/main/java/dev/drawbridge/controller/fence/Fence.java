package dev.drawbridge.controller.fence;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** A fence record: why a node was fenced, by what, and how far each step got. */
public record Fence(String id, String nodeId, String trigger, String reason, String actor, String status,
                    Instant createdAt, Optional<Instant> finishedAt, List<StepState> steps) {
    public Fence {
        steps = List.copyOf(steps);
    }

    /** One step's stored status. */
    public record StepState(int ordinal, String step, String status, Optional<String> detail, Instant updatedAt) {}
}
