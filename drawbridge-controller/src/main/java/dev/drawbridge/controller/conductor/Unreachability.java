package dev.drawbridge.controller.conductor;

import dev.drawbridge.controller.fence.FenceService;
import dev.drawbridge.controller.fence.Trigger;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What missed polls mean: after {@code conductor.unreachable-after} in a row a node is flagged unreachable; after
 * {@code fencing.unreachable-after} (0: never, the default) it is fenced, through the one fence entry point.
 */
final class Unreachability {
    private static final Logger LOG = LoggerFactory.getLogger(Unreachability.class);

    private final ProvisioningStore store;
    private final FenceService fences;
    private final int flagAfter;
    private final int fenceAfter;

    Unreachability(ProvisioningStore store, FenceService fences, int flagAfter, int fenceAfter) {
        this.store = store;
        this.fences = fences;
        this.flagAfter = flagAfter;
        this.fenceAfter = fenceAfter;
    }

    /** The node's agent has now missed {@code n} polls in a row, the last for {@code why}. */
    void missed(Node node, int n, String why) {
        if (fenceAfter > 0 && n == fenceAfter && node.state() != NodeState.FENCED) {
            fences.fence(node.id(), Trigger.UNREACHABLE, "agent silent for " + n + " polls", "policy");
        }
        if (n == flagAfter && !node.unreachable()) {
            LOG.warn("node {} is unreachable after {} polls: {}", node.name(), n, why);
            store.unreachable(node.id());
        }
    }
}
