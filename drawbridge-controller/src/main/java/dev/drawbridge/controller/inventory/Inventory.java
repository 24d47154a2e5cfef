package dev.drawbridge.controller.inventory;

import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.StoreConflict;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The operator's view of inventory, one transaction per call: nodes created, changed and deleted with their audit
 * events, look-ups, the audit trail, and the facts a caller outside the store reports about a node. The HTTP layer
 * goes through here and never holds a transaction itself.
 */
public final class Inventory {
    /** A node of that name already exists. */
    public static final class NameTaken extends RuntimeException {
        NameTaken(String name, Throwable cause) {
            super("a node named '" + name + "' is already in inventory", cause);
        }
    }

    /** One audit row to append. */
    public record AuditEntry(String kind, String subject, String outcome, Map<String, String> detail) {}

    private final Database db;
    private final NodeRepository nodes;
    private final AuditLog audit;
    private final Clock clock;

    public Inventory(Database db, NodeRepository nodes, AuditLog audit, Clock clock) {
        this.db = db;
        this.nodes = nodes;
        this.audit = audit;
        this.clock = clock;
    }

    /** Adds a node and its {@code node.create} event; {@link NameTaken} when the name is in use. */
    public Node create(NewNode input) {
        try {
            return db.inTransaction(h -> {
                Node n = nodes.create(h, input, clock.instant());
                audit.append(h, "node.create", n.name(), "granted", Map.of("node", n.id()), n.createdAt());
                return n;
            });
        } catch (StoreConflict e) {
            throw new NameTaken(input.name(), e);
        }
    }

    /** A node by id, or else by name. */
    public Optional<Node> find(String idOrName) {
        return db.read(h -> nodes.find(h, idOrName));
    }

    /** The node one of whose MACs is {@code mac} (lower-case, colon form). */
    public Optional<Node> findByMac(String mac) {
        return db.read(h -> h.createQuery("SELECT id FROM nodes WHERE macs LIKE :pattern").bind("pattern",
                        "%\"" + mac + "\"%").mapTo(String.class).list().stream()
                .flatMap(id -> nodes.find(h, id).stream()).filter(n -> n.macs().contains(mac)).findFirst());
    }

    /** The node whose pinned TLS key (hex SHA-256 of its SubjectPublicKeyInfo) is {@code fingerprint}. */
    public Optional<Node> findByPinnedKey(String fingerprint) {
        return db.read(h -> h.createQuery("SELECT id FROM nodes WHERE pinned_fingerprint = :fp").bind("fp", fingerprint)
                .mapTo(String.class).findFirst().flatMap(id -> nodes.find(h, id)));
    }

    /** The node's pinned TLS key fingerprint, once the conductor pinned one. */
    public Optional<String> pinnedKey(String nodeId) {
        return db.read(h -> h.createQuery("SELECT pinned_fingerprint FROM nodes WHERE id = :id").bind("id", nodeId)
                .mapTo(String.class).findFirst());
    }

    /** Up to {@code limit} nodes in name order, optionally in one state, after the given name. */
    public List<Node> list(NodeQuery query) {
        return db.read(h -> nodes.list(h, query));
    }

    /** Applies the patch with its {@code node.update} event; empty when there is no such node. */
    public Optional<Node> patch(String id, NodePatch patch) {
        return db.inTransaction(h -> {
            Optional<Node> n = nodes.patch(h, id, patch, clock.instant());
            n.ifPresent(p -> audit.append(h, "node.update", p.name(), "granted", Map.of("node", p.id()),
                    p.updatedAt()));
            return n;
        });
    }

    /** Deletes the node with its {@code node.delete} event; false when it was already gone. */
    public boolean delete(Node node) {
        return db.inTransaction(h -> {
            if (!nodes.delete(h, node.id())) {
                return false;
            }
            audit.append(h, "node.delete", node.name(), "granted", Map.of("node", node.id()), clock.instant());
            return true;
        });
    }

    /** How many nodes there are; also the readiness probe's question to the store. */
    public long count() {
        return db.read(nodes::count);
    }

    /** Audit events after {@code afterSeq}, oldest first. */
    public List<AuditEvent> events(long afterSeq, int limit) {
        return db.read(h -> audit.list(h, afterSeq, limit));
    }

    /** Appends these audit rows in one transaction, stamped now. */
    public void record(List<AuditEntry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        db.inTransaction(h -> {
            for (AuditEntry e : entries) {
                audit.append(h, e.kind(), e.subject(), e.outcome(), e.detail(), now);
            }
            return null;
        });
    }

    /** A callback-mode node's heartbeat: seen now, so not unreachable. */
    public void heartbeat(String nodeId) {
        long at = clock.instant().toEpochMilli();
        db.inTransaction(h -> {
            ConductorColumns.seenAll(h, Map.of(nodeId, at));
            return null;
        });
    }

    /** Whether the node's attestation key was proven to sit in the TPM of its endorsement key. */
    public boolean akBound(String nodeId) {
        return db.read(h -> VerdictColumns.akBound(h, nodeId));
    }
}
