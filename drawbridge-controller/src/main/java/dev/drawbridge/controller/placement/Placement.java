package dev.drawbridge.controller.placement;

import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.StoreConflict;
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
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * Places instances only on hosts that are active, open for placement, and whose latest verdict is
 * {@code trusted} and younger than its maximum age, with the CPU and memory left; the verdict is read at
 * the moment of placing, never cached from an earlier look. Evacuation moves a fenced host's instances
 * the same way, or leaves them unplaced with a reason. Each host's used CPU and memory are kept on its row
 * in the same transaction as every placement, move and deletion ({@link Capacity}).
 */
public final class Placement {
    private static final String COLUMNS = "id, name, cpus, memory_mb, node_id, state, reason, created_at, updated_at";
    private final Database db;
    private final AuditLog audit;
    private final Clock clock;
    private final Duration verdictMaxAge;

    public Placement(Database db, AuditLog audit, Clock clock, Duration verdictMaxAge) {
        this.db = db;
        this.audit = audit;
        this.clock = clock;
        this.verdictMaxAge = verdictMaxAge;
    }

    /** An instance of that name already exists. */
    public static final class NameTaken extends RuntimeException {
        NameTaken(String name, Throwable cause) {
            super("an instance named '" + name + "' exists", cause);
        }
    }

    /** Places a new instance on a trusted host with room, or leaves it pending; {@link NameTaken} if the name is used. */
    public Instance create(String name, int cpus, long memoryMb, String actor) {
        try {
            return place(name, cpus, memoryMb, actor);
        } catch (StoreConflict e) {
            throw new NameTaken(name, e);
        }
    }

    private Instance place(String name, int cpus, long memoryMb, String actor) {
        Instant now = clock.instant();
        return inPlacingTransaction(h -> {
            Capacity capacity = new Capacity(h);
            Optional<String> host = capacity.claim(cpus, memoryMb, freshSince(now));
            capacity.write();
            Instant at = Instant.ofEpochMilli(now.toEpochMilli());
            Instance placed = new Instance(UUID.randomUUID().toString(), name, cpus, memoryMb, host, state(host.isPresent()),
                    reason(host.isPresent(), cpus, memoryMb), at, at);
            h.createUpdate("INSERT INTO instances (" + COLUMNS + ") VALUES (:id, :name, :cpus, :mem, :node, :state,"
                            + " :reason, :at, :at)")
                    .bind("id", placed.id()).bind("name", name).bind("cpus", cpus).bind("mem", memoryMb)
                    .bind("node", host.orElse(null)).bind("state", placed.state())
                    .bind("reason", placed.reason().orElse(null)).bind("at", at.toEpochMilli()).execute();
            audit.append(h, "instance.create", name, placed.state(), Map.of("node", host.orElse(""),
                    "actor", actor, "reason", placed.reason().orElse("")), now);
            return placed;
        });
    }

    /** Moves every instance off {@code nodeId} to another trusted host; returns them as they end up. */
    public List<Instance> evacuate(String nodeId, String fenceId) {
        Instant now = clock.instant();
        return inPlacingTransaction(h -> {
            List<Instance> on = h.createQuery("SELECT " + COLUMNS + " FROM instances WHERE node_id = :n ORDER BY name")
                    .bind("n", nodeId).map(Placement::map).list();
            Capacity capacity = new Capacity(h);
            Instant at = Instant.ofEpochMilli(now.toEpochMilli());
            List<Instance> moved = new ArrayList<>();
            for (Instance i : on) {
                capacity.release(nodeId, i.cpus(), i.memoryMb());
                Optional<String> host = capacity.claimAvoiding(i.cpus(), i.memoryMb(), freshSince(now), nodeId);
                moved.add(new Instance(i.id(), i.name(), i.cpus(), i.memoryMb(), host, state(host.isPresent()),
                        reason(host.isPresent(), i.cpus(), i.memoryMb()), i.createdAt(), at));
            }
            capacity.write();
            for (Instance after : moved) {
                h.createUpdate("UPDATE instances SET node_id = :n, state = :s, reason = :r, updated_at = :at"
                                + " WHERE id = :id")
                        .bind("n", after.nodeId().orElse(null)).bind("s", after.state())
                        .bind("r", after.reason().orElse(null)).bind("at", at.toEpochMilli()).bind("id", after.id())
                        .execute();
                audit.append(h, "instance.evacuate", after.name(), after.state(), Map.of("from", nodeId, "to",
                        after.nodeId().orElse(""), "fence", fenceId, "reason", after.reason().orElse("")), now);
            }
            return moved;
        });
    }

    /** Deletes an instance and gives its room back to its host; empty when there is no such instance. */
    public Optional<Instance> delete(String idOrName, String actor) {
        Instant now = clock.instant();
        return inPlacingTransaction(h -> {
            Optional<Instance> found = find(h, idOrName);
            found.ifPresent(i -> {
                Capacity capacity = new Capacity(h);
                i.nodeId().ifPresent(host -> capacity.release(host, i.cpus(), i.memoryMb()));
                capacity.write();
                h.createUpdate("DELETE FROM instances WHERE id = :id").bind("id", i.id()).execute();
                audit.append(h, "instance.delete", i.name(), "deleted", Map.of("node", i.nodeId().orElse(""),
                        "actor", actor), now);
            });
            return found;
        });
    }

    public List<Instance> list() {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM instances ORDER BY name")
                .map(Placement::map).list());
    }

    public Optional<Instance> find(String idOrName) {
        return db.read(h -> find(h, idOrName));
    }

    /**
     * A placing transaction: one at a time, from before a host's room is read until the transaction that takes it
     * commits, so no other decision comes between; the same when it joins a larger transaction (a fence step's).
     */
    private <R> R inPlacingTransaction(HandleCallback<R, RuntimeException> work) {
        return db.inTransaction(h -> {
            db.exclusive(h, "placement");
            return work.withHandle(h);
        });
    }

    private long freshSince(Instant now) {
        return now.minus(verdictMaxAge).toEpochMilli();
    }

    /** An instance's stored state, from whether it has a host. */
    private static String state(boolean placed) {
        return placed ? "placed" : "unplaced";
    }

    /** Why an instance has no host, or empty when it has one. */
    private static Optional<String> reason(boolean placed, int cpus, long memoryMb) {
        return placed ? Optional.empty() : Optional.of("no active host with a fresh trusted verdict has "
                + cpus + " CPUs and " + memoryMb + " MiB free");
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
