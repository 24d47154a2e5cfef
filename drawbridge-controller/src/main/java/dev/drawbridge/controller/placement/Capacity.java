package dev.drawbridge.controller.placement;

import dev.drawbridge.controller.inventory.PlacementColumns;
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
    private static final long[] NONE = {0, 0};

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
    Optional<String> claimAvoiding(int cpus, long memoryMb, long freshSince, String avoid) {
        // The index still shows the hosts this transaction has taken room on with their stored free memory, so each
        // such host can stand ahead of where it now belongs; the right host is among the first (those + 1) rows.
        // Hosts given room back are the avoided origin, never candidates, so the rows never miss one of them.
        List<PlacementColumns.Room> rows = PlacementColumns.hosts(h, cpus, memoryMb, freshSince, avoid,
                pending.size() + 1);
        PlacementColumns.Room best = null;
        long bestFreeMb = 0;
        for (PlacementColumns.Room c : rows) {
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

    /** {@link #claimAvoiding} with no host to avoid. */
    Optional<String> claim(int cpus, long memoryMb, long freshSince) {
        return claimAvoiding(cpus, memoryMb, freshSince, "");
    }

    /** Gives an instance's room on {@code hostId} back. */
    void release(String hostId, int cpus, long memoryMb) {
        add(hostId, -cpus, -memoryMb);
    }

    /** Writes the held changes to the hosts' counters, in host-id order. */
    void write() {
        pending.forEach((id, taken) -> {
            if (taken[0] != 0 || taken[1] != 0) {
                PlacementColumns.use(h, id, taken[0], taken[1]);
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
