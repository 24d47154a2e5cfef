package dev.drawbridge.controller.inventory;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A machine in inventory: what the operator expects it to be. The CA issues a node identity only
 * from these facts, never from what a CSR asks for.
 */
public record Node(String id, String name, List<String> macs, Map<String, String> labels,
                   Optional<String> bmcAddress, Optional<String> agentAddress, NodeState state,
                   Optional<String> reason, Instant createdAt, Instant updatedAt, long version,
                   Optional<String> systemUuid, String mode, Optional<Instant> lastSeen, Optional<String> progress,
                   boolean unreachable, Optional<String> bmcUsername, Optional<String> bmcPasswordRef) {
    public Node {
        macs = List.copyOf(macs);
        labels = Map.copyOf(labels);
    }
}
