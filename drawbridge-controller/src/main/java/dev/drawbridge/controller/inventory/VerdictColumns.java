package dev.drawbridge.controller.inventory;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * The attestation columns of {@code nodes}: the latest verdict and when it was made, the reference PCR values, and
 * whether the attestation key is bound to the endorsement key. {@code verify} owns their meaning and history; each
 * method runs on its handle, in its transaction.
 */
public final class VerdictColumns {
    private VerdictColumns() {}

    /** A stored verdict (wire name) and when it was made (epoch ms). */
    public record Stored(String verdict, long at) {}

    /** A repeated verdict whose time should move forward, if it is still the stored one. */
    public record Refresh(String id, String verdict, long at) {}

    /** The node's stored verdict, if it has one. */
    public static Optional<Stored> verdict(Handle h, String id) {
        return h.createQuery("SELECT verdict, verdict_at FROM nodes WHERE id = :id AND verdict IS NOT NULL"
                        + " AND verdict_at IS NOT NULL").bind("id", id)
                .map((rs, ctx) -> new Stored(rs.getString("verdict"), rs.getLong("verdict_at"))).findFirst();
    }

    public static void setVerdict(Handle h, String id, String verdict, long at) {
        h.createUpdate("UPDATE nodes SET verdict = :v, verdict_at = :at WHERE id = :id")
                .bind("v", verdict).bind("at", at).bind("id", id).execute();
    }

    /**
     * Moves each verdict's time forward where the stored verdict is still the repeated one (a verdict written
     * meanwhile wins). Returns the rows updated per refresh, in the order given.
     */
    public static int[] refresh(Handle h, List<Refresh> refreshes) {
        var update = h.prepareBatch("UPDATE nodes SET verdict_at = :at WHERE id = :id AND verdict = :v"
                + " AND verdict_at < :at");
        refreshes.forEach(r -> update.bind("at", r.at()).bind("id", r.id()).bind("v", r.verdict()).add());
        return update.execute();
    }

    /** New reference PCR values (JSON); {@code updated_at} moves so cached schedules pick them up at once. */
    public static void setReference(Handle h, String id, String pcrsJson, long at) {
        h.createUpdate("UPDATE nodes SET reference_pcrs = :p, updated_at = :at WHERE id = :id").bind("p", pcrsJson)
                .bind("at", at).bind("id", id).execute();
    }

    public static boolean akBound(Handle h, String id) {
        return h.createQuery("SELECT ak_bound FROM nodes WHERE id = :id").bind("id", id).mapTo(Integer.class)
                .findFirst().orElse(0) == 1;
    }
}
