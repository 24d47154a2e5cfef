package dev.drawbridge.controller.cluster;

import dev.drawbridge.controller.store.WriteGuard;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Which nodes this controller drives. The conductor polls only the nodes that are {@link #mine}, and runs each poll
 * under the node's {@link #guard}, so every write the poll makes (job, state, enrollment, verdict, fence) first
 * checks that this controller still holds the node.
 */
public interface Ownership {
    /** Whether this controller drives the node now. */
    boolean mine(String nodeId);

    /** The check every write about the node runs first; throws {@link WriteGuard.Fenced} once the node is not ours. */
    WriteGuard guard(String nodeId);

    /**
     * Brings the claims up to date for the nodes the conductor looks after; {@code busy} (the live set of nodes with a
     * poll in flight, which the conductor adds to before it checks {@link #mine}) nodes are
     * not released until their poll ends.
     */
    void refresh(Collection<String> nodeIds, Set<String> busy);

    /** The epoch of this controller's claim on the node, which the agent is told; empty when nothing is claimed. */
    java.util.OptionalLong epoch(String nodeId);

    /** Whether claims carry epochs (clustered): a poll then needs one, taken when the poll is admitted. */
    default boolean epochs() {
        return true;
    }

    /** How many nodes each member (by id) holds, as last seen. */
    Map<String, Integer> counts();

    /**
     * The nodes this controller holds, as a live view, when it holds a share of them (a member of a ring); empty when
     * {@link #mine} alone decides (a single controller, or the active one of a pair holds all or nothing). The
     * conductor then looks at its share only instead of at every node in the fleet.
     */
    default Optional<Set<String>> held() {
        return Optional.empty();
    }

    /**
     * Tells {@code listener} of each node this controller comes to hold (taken, or found its own again), before
     * {@link #mine} answers true for it, and at once of each node it holds now: the conductor reads such a node
     * afresh before it polls it, since the node's last holder may have moved its job on meanwhile.
     */
    default void onGained(Consumer<String> listener) {
    }

    /**
     * The ids of the nodes looked after, counting its changes (a node added or dropped): an ownership pass can then
     * tell that nothing changed without comparing ten thousand ids at every heartbeat.
     */
    interface NodeIds extends Set<String> {
        long version();
    }

    /** A single controller: every node is its own, and nothing needs checking. */
    static Ownership everything() {
        return new Ownership() {
            @Override
            public boolean mine(String nodeId) {
                return true;
            }

            @Override
            public WriteGuard guard(String nodeId) {
                return h -> { };
            }

            @Override
            public void refresh(Collection<String> nodeIds, Set<String> busy) {
            }

            @Override
            public java.util.OptionalLong epoch(String nodeId) {
                return java.util.OptionalLong.empty();
            }

            @Override
            public boolean epochs() {
                return false;
            }

            @Override
            public Map<String, Integer> counts() {
                return Map.of();
            }
        };
    }
}
