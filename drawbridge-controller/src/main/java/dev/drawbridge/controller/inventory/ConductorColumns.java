package dev.drawbridge.controller.inventory;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * The conductor's columns of {@code nodes}: the job and its deadline, the pinned agent key, the attestation key and
 * reference values learnt at enrollment, capacity, and when the agent last answered. Each method runs on the
 * caller's handle, so the conductor decides the transaction; state changes go through
 * {@link NodeRepository#transition} only.
 */
public final class ConductorColumns {
    private ConductorColumns() {}

    /** A node's conductor columns as stored (the job as its JSON text, the attestation key as PEM). */
    public record Row(String id, Optional<String> job, Optional<Instant> deadline, Optional<String> pinned,
                      Optional<String> akPublic, Optional<String> akQualifiedName, Optional<String> referencePcrs) {}

    /**
     * A print of every node with an agent address, by id, from short columns only: the update stamp and version,
     * state, unreachable flag, deadline, and the lengths of the job, the pinned key, the attestation key, the
     * reference PCRs and the agent address. Reading the long columns themselves for ten thousand nodes every 10 s was
     * the controller's largest cost; the print says which nodes to re-read.
     */
    public static Map<String, Long> prints(Handle h) {
        Map<String, Long> out = new HashMap<>();
        h.createQuery(PRINTS).map(ConductorColumns::print).forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /** The prints (as {@link #prints(Handle)}) of just these nodes, those that have an agent address. */
    public static Map<String, Long> prints(Handle h, Collection<String> ids) {
        Map<String, Long> out = new HashMap<>();
        IdSet.query(h, PRINTS + " AND " + IdSet.MARK, ids).map(ConductorColumns::print)
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    private static final String PRINTS = "SELECT id, updated_at, version, unreachable, deadline_at, LENGTH(job),"
            + " LENGTH(pinned_fingerprint), LENGTH(ak_public), LENGTH(reference_pcrs), LENGTH(agent_address), state"
            + " FROM nodes WHERE agent_address IS NOT NULL";

    private static Map.Entry<String, Long> print(ResultSet rs, StatementContext ctx) throws SQLException {
        long print = 17;
        for (int i = 2; i <= 10; i++) {
            long v = rs.getLong(i);
            print = print * 1_000_003L + (rs.wasNull() ? -1 : v);
        }
        print = print * 1_000_003L + rs.getString(11).hashCode();
        return Map.entry(rs.getString(1), print);
    }

    /** The conductor columns of these nodes (ids, not names) that have an agent address. */
    public static List<Row> rows(Handle h, Collection<String> ids) {
        return IdSet.query(h, "SELECT id, job, deadline_at, pinned_fingerprint, ak_public, ak_qualified_name,"
                        + " reference_pcrs FROM nodes WHERE agent_address IS NOT NULL AND " + IdSet.MARK, ids)
                .map((rs, ctx) -> row(rs)).list();
    }

    private static Row row(ResultSet rs) throws SQLException {
        long deadline = rs.getLong("deadline_at");
        Optional<Instant> d = rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(deadline));
        return new Row(rs.getString("id"), Optional.ofNullable(rs.getString("job")), d,
                Optional.ofNullable(rs.getString("pinned_fingerprint")), Optional.ofNullable(rs.getString("ak_public")),
                Optional.ofNullable(rs.getString("ak_qualified_name")),
                Optional.ofNullable(rs.getString("reference_pcrs")));
    }

    /** The newest {@code updated_at} in the table: every change through the node repository moves it. */
    public static long newestChange(Handle h) {
        return h.createQuery("SELECT COALESCE(MAX(updated_at), 0) FROM nodes").mapTo(Long.class).one();
    }

    /** A node's change as the node repository stamps it: when (epoch ms) and the version it made. */
    public record Change(String id, long at, long version) {}

    /** Nodes changed at or after {@code mark} (epoch ms), with their stamps. */
    public static List<Change> changedSince(Handle h, long mark) {
        return h.createQuery("SELECT id, updated_at, version FROM nodes WHERE updated_at >= :m").bind("m", mark)
                .map((rs, ctx) -> new Change(rs.getString("id"), rs.getLong("updated_at"), rs.getLong("version")))
                .list();
    }

    /** Saves a job's progress while the node stays in {@code state} (wire name); false when it has moved on. */
    public static boolean saveJob(Handle h, String id, String state, String jobJson) {
        return h.createUpdate("UPDATE nodes SET job = :job WHERE id = :id AND state = :state")
                .bind("job", jobJson).bind("id", id).bind("state", state).execute() == 1;
    }

    public static void saveCapacity(Handle h, String id, int cpus, long memoryMb) {
        h.createUpdate("UPDATE nodes SET capacity_cpus = :cpus, capacity_memory_mb = :mem WHERE id = :id")
                .bind("cpus", cpus).bind("mem", memoryMb).bind("id", id).execute();
    }

    /** The attestation key learnt at enrollment, its baseline as reference values, and whether it is EK-bound. */
    public static void saveAttestationKey(Handle h, String id, String akPem, String qualifiedName, String baseline,
                                          boolean bound) {
        h.createUpdate("UPDATE nodes SET ak_public = :ak, ak_qualified_name = :qn, reference_pcrs = :ref,"
                        + " ak_bound = :bound WHERE id = :id")
                .bind("bound", bound ? 1 : 0).bind("ak", akPem).bind("qn", qualifiedName).bind("ref", baseline)
                .bind("id", id).execute();
    }

    public static void pin(Handle h, String id, String fingerprint) {
        h.createUpdate("UPDATE nodes SET pinned_fingerprint = :fp WHERE id = :id").bind("fp", fingerprint)
                .bind("id", id).execute();
    }

    /** The agent answered at {@code at} (epoch ms), reporting no progress: any earlier progress is cleared. */
    public static void seen(Handle h, String id, long at) {
        h.createUpdate("UPDATE nodes SET last_seen = :at, unreachable = 0, progress = NULL WHERE id = :id")
                .bind("at", at).bind("id", id).execute();
    }

    /** The agent answered at {@code at} (epoch ms), reporting this progress (JSON). */
    public static void seen(Handle h, String id, long at, String progress) {
        h.createUpdate("UPDATE nodes SET last_seen = :at, unreachable = 0, progress = :p WHERE id = :id")
                .bind("at", at).bind("p", progress).bind("id", id).execute();
    }

    /**
     * Many nodes answered: each one's {@code last_seen} (epoch ms), in node-id order, as placement locks node
     * rows, so the two never deadlock on PostgreSQL.
     */
    public static void seenAll(Handle h, Map<String, Long> at) {
        var update = h.prepareBatch("UPDATE nodes SET last_seen = :at, unreachable = 0 WHERE id = :id");
        new TreeMap<>(at).forEach((id, ms) -> update.bind("at", ms).bind("id", id).add());
        update.execute();
    }

    public static void unreachable(Handle h, String id) {
        h.createUpdate("UPDATE nodes SET unreachable = 1 WHERE id = :id").bind("id", id).execute();
    }
}
