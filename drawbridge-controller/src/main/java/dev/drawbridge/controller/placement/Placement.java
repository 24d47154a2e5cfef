package dev.drawbridge.controller.placement;

import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.store.Database;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * Places instances only on hosts that are active, open for placement, and whose latest verdict is
 * {@code trusted} and younger than its maximum age, with the CPU and memory left; the verdict is read at
 * the moment of placing, never cached from an earlier look. Evacuation moves a fenced host's instances
 * the same way, or leaves them unplaced with a reason.
 */
public final class Placement {
    private static final String COLUMNS = "id, name, cpus, memory_mb, node_id, state, reason, created_at, updated_at";
    private final Database db;
    private final AuditLog audit;
    private final Clock clock;
    private final Duration verdictMaxAge;
    private final Object placing = new Object();

    public Placement(Database db, AuditLog audit, Clock clock, Duration verdictMaxAge) {
        this.db = db;
        this.audit = audit;
        this.clock = clock;
        this.verdictMaxAge = verdictMaxAge;
    }

    public Instance create(String name, int cpus, long memoryMb, String actor) {
        Instant now = clock.instant();
        synchronized (placing) {
            return db.inTransaction(h -> {
                String id = UUID.randomUUID().toString();
                h.createUpdate("INSERT INTO instances (" + COLUMNS + ") VALUES (:id, :name, :cpus, :mem, NULL,"
                                + " 'unplaced', NULL, :at, :at)")
                        .bind("id", id).bind("name", name).bind("cpus", cpus).bind("mem", memoryMb)
                        .bind("at", now.toEpochMilli()).execute();
                Instance placed = place(h, find(h, id).orElseThrow(), Optional.empty(), now);
                audit.append(h, "instance.create", name, placed.state(), Map.of("node", placed.nodeId().orElse(""),
                        "actor", actor, "reason", placed.reason().orElse("")), now);
                return placed;
            });
        }
    }

    /** Moves every instance off {@code nodeId} to another trusted host; returns them as they end up. */
    public List<Instance> evacuate(String nodeId, String fenceId) {
        Instant now = clock.instant();
        synchronized (placing) {
            return db.inTransaction(h -> {
                List<Instance> moved = new ArrayList<>();
                for (Instance i : h.createQuery("SELECT " + COLUMNS + " FROM instances WHERE node_id = :n ORDER BY name")
                        .bind("n", nodeId).map(Placement::map).list()) {
                    Instance after = place(h, i, Optional.of(nodeId), now);
                    audit.append(h, "instance.evacuate", i.name(), after.state(), Map.of("from", nodeId, "to",
                            after.nodeId().orElse(""), "fence", fenceId, "reason", after.reason().orElse("")), now);
                    moved.add(after);
                }
                return moved;
            });
        }
    }

    private Instance place(Handle h, Instance i, Optional<String> avoid, Instant now) {
        long fresh = now.minus(verdictMaxAge).toEpochMilli();
        Optional<String> host = h.createQuery("""
                SELECT n.id FROM nodes n
                WHERE n.state = 'active' AND n.placement_disabled = 0 AND n.verdict = 'trusted'
                  AND n.verdict_at >= :fresh AND n.id <> :avoid
                  AND COALESCE(n.capacity_cpus, 0) - (SELECT COALESCE(SUM(x.cpus), 0) FROM instances x
                        WHERE x.node_id = n.id) >= :cpus
                  AND COALESCE(n.capacity_memory_mb, 0) - (SELECT COALESCE(SUM(x.memory_mb), 0) FROM instances x
                        WHERE x.node_id = n.id) >= :mem
                ORDER BY COALESCE(n.capacity_memory_mb, 0) - (SELECT COALESCE(SUM(x.memory_mb), 0) FROM instances x
                        WHERE x.node_id = n.id) DESC, n.name
                LIMIT 1""")
                .bind("fresh", fresh).bind("avoid", avoid.orElse("")).bind("cpus", i.cpus()).bind("mem", i.memoryMb())
                .mapTo(String.class).findFirst();
        String reason = host.isPresent() ? null : "no active host with a fresh trusted verdict has "
                + i.cpus() + " CPUs and " + i.memoryMb() + " MiB free";
        h.createUpdate("UPDATE instances SET node_id = :n, state = :s, reason = :r, updated_at = :at WHERE id = :id")
                .bind("n", host.orElse(null)).bind("s", host.isPresent() ? "placed" : "unplaced").bind("r", reason)
                .bind("at", now.toEpochMilli()).bind("id", i.id()).execute();
        return find(h, i.id()).orElseThrow();
    }

    public List<Instance> list() {
        return db.inTransaction(h -> h.createQuery("SELECT " + COLUMNS + " FROM instances ORDER BY name")
                .map(Placement::map).list());
    }

    public Optional<Instance> find(String idOrName) {
        return db.inTransaction(h -> find(h, idOrName));
    }

    private static Optional<Instance> find(Handle h, String idOrName) {
        return h.createQuery("SELECT " + COLUMNS + " FROM instances WHERE id = :k OR name = :k").bind("k", idOrName)
                .map(Placement::map).findFirst();
    }

    private static Instance map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new Instance(rs.getString("id"), rs.getString("name"), rs.getInt("cpus"), rs.getLong("memory_mb"),
                Optional.ofNullable(rs.getString("node_id")), rs.getString("state"),
                Optional.ofNullable(rs.getString("reason")), Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("updated_at")));
    }
}
