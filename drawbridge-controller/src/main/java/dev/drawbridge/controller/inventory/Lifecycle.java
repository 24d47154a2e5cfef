package dev.drawbridge.controller.inventory;

import static dev.drawbridge.controller.inventory.NodeState.ACTIVE;
import static dev.drawbridge.controller.inventory.NodeState.AVAILABLE;
import static dev.drawbridge.controller.inventory.NodeState.CLEANING;
import static dev.drawbridge.controller.inventory.NodeState.DEPLOYING;
import static dev.drawbridge.controller.inventory.NodeState.DISCOVERED;
import static dev.drawbridge.controller.inventory.NodeState.ENROLLING;
import static dev.drawbridge.controller.inventory.NodeState.ERROR;
import static dev.drawbridge.controller.inventory.NodeState.FENCED;
import static dev.drawbridge.controller.inventory.NodeState.MANAGEABLE;
import static dev.drawbridge.controller.inventory.NodeState.RESCUE;
import static dev.drawbridge.controller.inventory.NodeState.RESCUING;
import static dev.drawbridge.controller.inventory.NodeState.RETIRED;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The node lifecycle: the one transition table (DESIGN.md §3). No state changes anywhere else:
 * {@link NodeRepository#transition} refuses any move this table does not list.
 */
public final class Lifecycle {
    /** What happens to a node: an operator action, or the conductor's verdict on a step. */
    public enum Event { MANAGE, PROVIDE, DEPLOY, UNDEPLOY, RESCUE, UNRESCUE, DONE, FAIL, TIMEOUT, FENCE, READMIT, RETIRE }

    private static final Map<NodeState, Map<Event, NodeState>> TABLE = new EnumMap<>(NodeState.class);

    static {
        on(DISCOVERED, Event.MANAGE, ENROLLING);
        on(ERROR, Event.MANAGE, ENROLLING);
        on(ENROLLING, Event.DONE, MANAGEABLE);
        on(MANAGEABLE, Event.PROVIDE, CLEANING);
        on(CLEANING, Event.DONE, AVAILABLE);
        on(AVAILABLE, Event.DEPLOY, DEPLOYING);
        on(DEPLOYING, Event.DONE, ACTIVE);
        on(ACTIVE, Event.UNDEPLOY, CLEANING);
        on(ACTIVE, Event.RESCUE, RESCUING);
        on(AVAILABLE, Event.RESCUE, RESCUING);
        on(RESCUING, Event.DONE, RESCUE);
        on(RESCUE, Event.UNRESCUE, CLEANING);
        // The only way out of fenced: a passing attestation and an operator's approval (see FenceService); the
        // node then gets a new identity, since fencing revoked the old one.
        on(FENCED, Event.READMIT, ENROLLING);
        for (NodeState s : NodeState.values()) {
            if (s.busy()) {
                on(s, Event.FAIL, ERROR);
                on(s, Event.TIMEOUT, ERROR);
            }
            if (s != FENCED && s != RETIRED) {
                on(s, Event.FENCE, FENCED);
            }
        }
        for (NodeState s : Set.of(DISCOVERED, MANAGEABLE, AVAILABLE, ERROR)) {
            on(s, Event.RETIRE, RETIRED);
        }
    }

    private Lifecycle() {}

    private static void on(NodeState from, Event event, NodeState to) {
        TABLE.computeIfAbsent(from, k -> new EnumMap<>(Event.class)).put(event, to);
    }

    /** The state {@code event} leads to from {@code from}, or empty when the table does not allow it. */
    public static Optional<NodeState> next(NodeState from, Event event) {
        return Optional.ofNullable(TABLE.getOrDefault(from, Map.of()).get(event));
    }

    /** The events allowed in a state, for error messages. */
    public static Set<Event> allowed(NodeState from) {
        return TABLE.getOrDefault(from, Map.of()).keySet();
    }
}
