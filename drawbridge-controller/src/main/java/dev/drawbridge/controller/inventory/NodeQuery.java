package dev.drawbridge.controller.inventory;

import java.util.Optional;

/**
 * A page of nodes in name order: those in {@code state} if given, with names after {@code afterName} if given, at most
 * {@code limit} (at least 1).
 */
public record NodeQuery(Optional<NodeState> state, Optional<String> afterName, int limit) {
    public NodeQuery {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
    }

    /** The first {@code limit} nodes of any state. */
    public static NodeQuery first(int limit) {
        return new NodeQuery(Optional.empty(), Optional.empty(), limit);
    }

    /** This query, for nodes in {@code s} only. */
    public NodeQuery in(NodeState s) {
        return new NodeQuery(Optional.of(s), afterName, limit);
    }

    /** This query, for names after {@code name}. */
    public NodeQuery after(String name) {
        return new NodeQuery(state, Optional.of(name), limit);
    }
}
