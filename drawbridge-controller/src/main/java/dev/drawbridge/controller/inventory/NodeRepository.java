package dev.drawbridge.controller.inventory;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Nodes in the store. Every method runs on the caller's handle, so the caller decides the
 * transaction; times are stored to the millisecond.
 */
public interface NodeRepository {

    /** The SQL implementation, for both engines. */
    static NodeRepository jdbi() {
        return new JdbiNodeRepository();
    }

    /**
     * Adds a node in state {@code DISCOVERED} with a fresh random id and version 1.
     *
     * @throws dev.drawbridge.controller.store.StoreConflict when the name is taken; the surrounding
     *         transaction must then be rolled back, since PostgreSQL refuses further statements in it
     */
    Node create(Handle h, NewNode node, Instant now);

    /** Looks a node up by id, or else by name. */
    Optional<Node> find(Handle h, String idOrName);

    /** Up to {@code limit} nodes in name order, optionally in one state, after the given name (keyset paging). */
    List<Node> list(Handle h, NodeQuery query);

    /** The nodes with these ids (not names), in no particular order; unknown ids are left out. */
    List<Node> findByIds(Handle h, Collection<String> ids);

    /** Applies the present fields and bumps the version; empty when there is no such node. */
    Optional<Node> patch(Handle h, String id, NodePatch patch, Instant now);

    /** Deletes the node (its tickets go with it, its certificate records stay); false when absent. */
    boolean delete(Handle h, String id);

    /**
     * Moves a node by the {@link Lifecycle} table from {@code from} by the move's event, setting its reason, deadline and job, and appends
     * the {@code node.state} audit event (from, to, event, reason) in the same transaction; empty when the node is no
     * longer in {@code from}. Throws IllegalStateException when the table has no such move. The only way a node's
     * state changes.
     */
    Optional<Node> transition(Handle h, String id, NodeState from, Move move, Instant now);

    long count(Handle h);
}
