package dev.drawbridge.controller.inventory;

import java.util.List;
import org.jdbi.v3.core.Handle;

/**
 * The placement columns of {@code nodes}: whether a host is open for placement, and the CPUs and memory its instances
 * use. {@code placement} and {@code fence} decide; each method runs on their handle, in their transaction.
 */
public final class PlacementColumns {
    private PlacementColumns() {}

    /** A host that could take an instance, with its free room as stored. */
    public record Room(String id, String name, long freeCpus, long freeMb) {}

    /** Free memory exactly as the index {@code nodes_placement} (V7) has it; an equivalent expression would miss it. */
    private static final String FREE_MB = "COALESCE(n.capacity_memory_mb, 0) - n.used_memory_mb";
    private static final String FREE_CPUS = "COALESCE(n.capacity_cpus, 0) - n.used_cpus";
    /** The host query; public so a test can check the store's plan uses the index. */
    public static final String CHOOSE = "SELECT n.id, n.name, " + FREE_CPUS + " AS free_cpus, " + FREE_MB
            + " AS free_mb FROM nodes n"
            + " WHERE n.state = 'active' AND n.placement_disabled = 0 AND n.verdict = 'trusted'"
            + " AND n.verdict_at >= :fresh AND n.id <> :avoid"
            + " AND " + FREE_CPUS + " >= :cpus AND " + FREE_MB + " >= :mem"
            + " ORDER BY " + FREE_MB + " DESC, n.name LIMIT :limit";

    /**
     * Up to {@code limit} hosts that are active, open for placement, with a trusted verdict made at or after
     * {@code freshSince} (epoch ms), not {@code avoid}, and with the room free; most free memory first, then name.
     */
    public static List<Room> hosts(Handle h, int cpus, long memoryMb, long freshSince, String avoid, int limit) {
        return h.createQuery(CHOOSE)
                .bind("fresh", freshSince).bind("avoid", avoid).bind("cpus", cpus).bind("mem", memoryMb)
                .bind("limit", limit)
                .map((rs, ctx) -> new Room(rs.getString("id"), rs.getString("name"), rs.getLong("free_cpus"),
                        rs.getLong("free_mb")))
                .list();
    }

    /** Adds to (or, negative, takes from) a host's used CPUs and memory. */
    public static void use(Handle h, String id, long cpus, long memoryMb) {
        h.createUpdate("UPDATE nodes SET used_cpus = used_cpus + :cpus, used_memory_mb = used_memory_mb + :mem"
                + " WHERE id = :id").bind("cpus", cpus).bind("mem", memoryMb).bind("id", id).execute();
    }

    /** Opens or closes a host for placement (a fence closes it, a readmission opens it). */
    public static void placementDisabled(Handle h, String id, boolean disabled) {
        h.createUpdate("UPDATE nodes SET placement_disabled = :d WHERE id = :id").bind("d", disabled ? 1 : 0)
                .bind("id", id).execute();
    }
}
