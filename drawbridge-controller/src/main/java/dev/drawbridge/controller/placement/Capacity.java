package dev.drawbridge.controller.placement;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;

/**
 * Host capacity within one placing transaction: picks hosts through the {@code nodes_placement} index and keeps
 * each host's used CPUs and memory ({@code nodes.used_cpus}, {@code nodes.used_memory_mb}) in step with the
 * instances the transaction moves. Changes are held here until {@link #write()}, which applies them in host-id
 * order, so on PostgreSQL a placing transaction locks host rows late, briefly and always in the same order.
 */
final class Capacity {
    /** Free memory exactly as the index {@code nodes_placement} (V7) has it; an equivalent expression would miss it. */
    private static final String FREE_MB = "COALESCE(n.capacity_memory_mb, 0) - n.used_memory_mb";
    private static final String FREE_CPUS = "COALESCE(n.capacity_cpus, 0) - n.used_cpus";
    static final String CHOOSE = "SELECT n.id, n.name, " + FREE_CPUS + " AS free_cpus, " + FREE_MB
            + " AS free_mb FROM nodes n"
            + " WHERE n.state = 'active' AND n.placement_disabled = 0 AND n.verdict = 'trusted'"
            + " AND n.verdict_at >= :fresh AND n.id <> :avoid"
            + " AND " + FREE_CPUS + " >= :cpus AND " + FREE_MB + " >= :mem"
            + " ORDER BY " + FREE_MB + " DESC, n.name LIMIT :limit";
    private static final long[] NONE = {0, 0};

    private record Candidate(String id, String name, long freeCpus, long freeMb) {}

    private final Handle h;
    /** Per host id: CPUs and MiB this transaction has taken (negative: given back) and not written yet. */
    private final Map<String, long[]> pending = new TreeMap<>();

    Capacity(Handle h) {
        this.h = h;
    }

    /**
     * The host for an instance: active, open for placement, with a trusted verdict made at or after
     * {@code freshSince} (epoch ms), not {@code avoid}, and with the CPUs and memory free; most free memory first,
     * then name. Its room is taken at once for the rest of this transaction.
     */
    Optional<String> claim(int cpus, long memoryMb, long freshSince, Optional<String> avoid) {
        // The index still shows the hosts this transaction has taken room on with their stored free memory, so each
        // such host can stand ahead of where it now belongs; the right host is among the first (those + 1) rows.
        // Hosts given room back are the avoided origin, never candidates, so the rows never miss one of them.
        List<Candidate> rows = h.createQuery(CHOOSE)
                .bind("fresh", freshSince).bind("avoid", avoid.orElse("")).bind("cpus", cpus).bind("mem", memoryMb)
                .bind("limit", pending.size() + 1)
                .map((rs, ctx) -> new Candidate(rs.getString("id"), rs.getString("name"), rs.getLong("free_cpus"),
                        rs.getLong("free_mb")))
                .list();
        Candidate best = null;
        long bestFreeMb = 0;
        for (Candidate c : rows) {
            long[] taken = pending.getOrDefault(c.id(), NONE);
            long freeMb = c.freeMb() - taken[1];
            // Host names are ASCII (host-name rule), where String order is the stores' byte order.
            boolean better = best == null || freeMb > bestFreeMb
                    || freeMb == bestFreeMb && c.name().compareTo(best.name()) < 0;
            if (c.freeCpus() - taken[0] >= cpus && freeMb >= memoryMb && better) {
                best = c;
                bestFreeMb = freeMb;
            }
        }
        if (best == null) {
            return Optional.empty();
        }
        add(best.id(), cpus, memoryMb);
        return Optional.of(best.id());
    }

    /** Gives an instance's room on {@code hostId} back. */
    void release(String hostId, int cpus, long memoryMb) {
        add(hostId, -cpus, -memoryMb);
    }

    /** Writes the held changes to the hosts' counters, in host-id order. */
    void write() {
        pending.forEach((id, taken) -> {
            if (taken[0] != 0 || taken[1] != 0) {
                h.createUpdate("UPDATE nodes SET used_cpus = used_cpus + :cpus, used_memory_mb = used_memory_mb + :mem"
                        + " WHERE id = :id").bind("cpus", taken[0]).bind("mem", taken[1]).bind("id", id).execute();
            }
        });
        pending.clear();
    }

    private void add(String hostId, long cpus, long memoryMb) {
        long[] taken = pending.computeIfAbsent(hostId, k -> new long[2]);
        taken[0] += cpus;
        taken[1] += memoryMb;
    }
}
