package dev.drawbridge.controller.conductor;

import dev.drawbridge.controller.enroll.CertificateRepository;
import dev.drawbridge.controller.store.Database;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The serials of revoked certificates, held in memory so that a poll checks an agent's identity without a query.
 * {@link ScheduleCache} calls {@link #refresh} every {@link ScheduleCache#STORE_READ}. Revocation is never undone,
 * so the set only grows.
 */
final class RevokedSerials {
    /** A revocation's time is taken before its transaction commits: reread this far behind the newest seen. */
    private static final long OVERLAP_MS = 60_000;

    private final Database db;
    private final CertificateRepository certificates;
    private final Set<String> serials = ConcurrentHashMap.newKeySet();
    private volatile long newest = Long.MIN_VALUE;

    RevokedSerials(Database db, CertificateRepository certificates) {
        this.db = db;
        this.certificates = certificates;
    }

    /** Whether this certificate serial (hex) is revoked, as of the last {@link #refresh}. */
    boolean contains(String serialHex) {
        return !serialHex.isEmpty() && serials.contains(serialHex);
    }

    /**
     * Reads revocations into memory: all of them when {@code full}, otherwise those revoked within a minute of the
     * newest seen, so a late commit is still caught. Returns how many serials are known revoked.
     */
    int refresh(boolean full) {
        long seen = newest;
        // Never later than the wall clock: one revocation stamped in the future (a controller whose clock ran
        // fast) must not make every later tick skip revocations stamped at the real time.
        long since = full || seen == Long.MIN_VALUE ? Long.MIN_VALUE
                : Math.min(seen, System.currentTimeMillis()) - OVERLAP_MS;
        List<Map.Entry<String, Long>> rows = db.read(h -> certificates.revokedSince(h, since));
        long max = seen;
        for (Map.Entry<String, Long> r : rows) {
            serials.add(r.getKey());
            max = Math.max(max, r.getValue());
        }
        newest = Math.max(newest, max);
        return serials.size();
    }
}
