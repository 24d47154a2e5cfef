package dev.drawbridge.controller.cluster;

import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.Dialect;
import dev.drawbridge.controller.store.WriteGuard;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leases for singleton duties, with a fencing epoch. The holder renews by raising the lease's renewal count and acts
 * only until half the lease's time after its last renewal began. Another member takes the lease when its holder is
 * not a live member, or when the count has not moved for the lease's whole time on the taker's own clock; the take
 * is a conditional update on the holder, epoch and count it saw, and raises the epoch. Every write made under a
 * lease ({@link #run}) first checks, in its own transaction, that the lease still has this holder and epoch; on
 * PostgreSQL it holds the row in share mode until commit, so a take waits for the write and the write after a take
 * sees the new epoch. A holder paused past its lease (kill -STOP) therefore writes nothing when it wakes. Owns the
 * {@code leases} table.
 */
public final class Leases {
    private static final Logger LOG = LoggerFactory.getLogger(Leases.class);

    /** A lease this member holds: its epoch, and until when (this process's monotonic clock) it may act. */
    public record Held(String name, long epoch, long validUntilNanos) {}

    private record Seen(String holder, long epoch, long renewals, long changedNanos) {}

    private final Database db;
    private final Membership membership;
    private final Duration ttl;
    private final Clock clock;
    private final LongSupplier nanos;
    private final Map<String, Held> held = new ConcurrentHashMap<>();
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private final AtomicLong fenced = new AtomicLong();

    public Leases(Database db, Membership membership, Duration ttl, Clock clock, LongSupplier nanos) {
        this.db = db;
        this.membership = membership;
        this.ttl = ttl;
        this.clock = clock;
        this.nanos = nanos;
    }

    /** Renews the lease if this member holds it, or takes it if it is free or expired; empty when another holds it. */
    public Optional<Held> acquire(String name) {
        long started = nanos.getAsLong();
        String me = membership.id();
        if (!membership.healthy()) {
            held.remove(name);
            return Optional.empty();
        }
        Held mine = held.get(name);
        if (mine != null) {
            int n = db.inTransaction(h -> h.createUpdate("UPDATE leases SET renewals = renewals + 1 WHERE name = :n"
                    + " AND holder = :me AND epoch = :e").bind("n", name).bind("me", me).bind("e", mine.epoch())
                    .execute());
            if (n == 1) {
                Held renewed = new Held(name, mine.epoch(), started + ttl.toNanos() / 2);
                held.put(name, renewed);
                return Optional.of(renewed);
            }
            held.remove(name);
            LOG.warn("lost the lease '{}' (epoch {}): another controller took it", name, mine.epoch());
        }
        Optional<Map<String, Object>> row = db.read(h -> h.createQuery("SELECT holder, epoch, renewals FROM leases"
                + " WHERE name = :n").bind("n", name).mapToMap().findFirst());
        if (row.isEmpty()) {
            int n = db.inTransaction(h -> h.createUpdate("INSERT INTO leases (name, holder, epoch, renewals, taken_at)"
                    + " VALUES (:n, :me, 1, 0, :now) ON CONFLICT (name) DO NOTHING").bind("n", name).bind("me", me)
                    .bind("now", clock.millis()).execute());
            if (n == 1) {
                return took(name, 1, started, "nobody");
            }
            return Optional.empty(); // another member made it first; look again next time
        }
        String holder = (String) row.get().get("holder");
        long epoch = ((Number) row.get().get("epoch")).longValue();
        long renewals = ((Number) row.get().get("renewals")).longValue();
        long now = nanos.getAsLong();
        Seen s = seen.compute(name, (k, old) -> old == null || !old.holder().equals(holder) || old.epoch() != epoch
                || old.renewals() != renewals ? new Seen(holder, epoch, renewals, now) : old);
        boolean expired = holder.isEmpty() || !membership.alive(holder) || now - s.changedNanos() >= ttl.toNanos();
        if (!expired) {
            return Optional.empty();
        }
        int n = db.inTransaction(h -> h.createUpdate("UPDATE leases SET holder = :me, epoch = epoch + 1, renewals = 0,"
                        + " taken_at = :now WHERE name = :n AND holder = :h AND epoch = :e AND renewals = :r")
                .bind("me", me).bind("now", clock.millis()).bind("n", name).bind("h", holder).bind("e", epoch)
                .bind("r", renewals).execute());
        return n == 1 ? took(name, epoch + 1, started, holder.isEmpty() ? "nobody" : holder) : Optional.empty();
    }

    /**
     * Takes the lease whoever holds it, raising its epoch: for a resource manager's promote, which has fenced the
     * old holder (STONITH) or stopped it. The old holder's writes are refused from here on by the epoch check.
     */
    public Held seize(String name) {
        long started = nanos.getAsLong();
        String me = membership.id();
        long epoch = db.inTransaction(h -> {
            int n = h.createUpdate("UPDATE leases SET holder = :me, epoch = epoch + 1, renewals = 0, taken_at = :now"
                    + " WHERE name = :n").bind("me", me).bind("now", clock.millis()).bind("n", name).execute();
            if (n == 0) {
                h.createUpdate("INSERT INTO leases (name, holder, epoch, renewals, taken_at) VALUES (:n, :me, 1, 0,"
                        + " :now)").bind("n", name).bind("me", me).bind("now", clock.millis()).execute();
            }
            return h.createQuery("SELECT epoch FROM leases WHERE name = :n").bind("n", name).mapTo(Long.class).one();
        });
        return took(name, epoch, started, "a resource manager's promote").orElseThrow();
    }

    /** Gives up one lease this member holds. */
    public void release(String name) {
        Held h = held.remove(name);
        if (h != null) {
            db.inTransaction(t -> t.createUpdate("UPDATE leases SET holder = '' WHERE name = :n AND holder = :me"
                    + " AND epoch = :e").bind("n", name).bind("me", membership.id()).bind("e", h.epoch()).execute());
        }
    }

    private Optional<Held> took(String name, long epoch, long started, String from) {
        Held h = new Held(name, epoch, started + ttl.toNanos() / 2);
        held.put(name, h);
        LOG.info("took the lease '{}' at epoch {} (from {})", name, epoch, from);
        return Optional.of(h);
    }

    /**
     * Runs {@code work} if this member holds (or can take) the lease, with every write transaction it starts checked
     * against the lease's epoch first; returns whether it ran.
     */
    public boolean run(String name, Runnable work) {
        Optional<Held> h = acquire(name);
        if (h.isEmpty()) {
            return false;
        }
        db.guarded(guard(h.get()), () -> {
            work.run();
            return null;
        });
        return true;
    }

    /** The check a write under {@code held} runs first: the lease still has this holder and epoch, and is fresh here. */
    public WriteGuard guard(Held lease) {
        return h -> {
            if (nanos.getAsLong() > lease.validUntilNanos()) {
                refuse(lease, "its time ran out here without a renewal");
            }
            String lock = db.dialect() == Dialect.POSTGRESQL ? " FOR SHARE" : "";
            Optional<Map<String, Object>> row = h.createQuery("SELECT holder, epoch FROM leases WHERE name = :n"
                    + lock).bind("n", lease.name()).mapToMap().findFirst();
            if (row.isEmpty() || !membership.id().equals(row.get().get("holder"))
                    || ((Number) row.get().get("epoch")).longValue() != lease.epoch()) {
                refuse(lease, row.map(r -> "it is now held by " + r.get("holder") + " at epoch " + r.get("epoch"))
                        .orElse("it is gone"));
            }
        };
    }

    private void refuse(Held lease, String why) {
        fenced.incrementAndGet();
        held.remove(lease.name(), lease);
        LOG.warn("refused a write under the lease '{}' at epoch {}: {}", lease.name(), lease.epoch(), why);
        throw new WriteGuard.Fenced("the lease '" + lease.name() + "' at epoch " + lease.epoch() + " is no longer"
                + " this controller's: " + why);
    }

    /** Whether this member holds the lease now, by its own last renewal. */
    public boolean holds(String name) {
        Held h = held.get(name);
        return h != null && nanos.getAsLong() <= h.validUntilNanos() && membership.healthy();
    }

    public Optional<Held> held(String name) {
        return Optional.ofNullable(held.get(name)).filter(h -> nanos.getAsLong() <= h.validUntilNanos());
    }

    /** A lease as stored: its name, holder (a member id; empty when released) and epoch. */
    public record Lease(String name, String holder, long epoch) {}

    /** Every lease in the store. */
    public java.util.List<Lease> list() {
        return db.read(h -> h.createQuery("SELECT name, holder, epoch FROM leases ORDER BY name")
                .map((rs, c) -> new Lease(rs.getString(1), rs.getString(2), rs.getLong(3))).list());
    }

    /** Writes refused by a lease's epoch check, since start. */
    public long fencedWrites() {
        return fenced.get();
    }

    /** Forgets every lease without writing (after a stall). */
    public void dropAll() {
        held.clear();
    }

    /** Gives up every lease this member holds (at stop), so another takes them at once. */
    public void releaseAll() {
        String me = membership.id();
        for (Held h : held.values()) {
            try {
                db.inTransaction(t -> t.createUpdate("UPDATE leases SET holder = '' WHERE name = :n AND holder = :me"
                        + " AND epoch = :e").bind("n", h.name()).bind("me", me).bind("e", h.epoch()).execute());
            } catch (RuntimeException e) {
                LOG.warn("could not release the lease '{}': {}", h.name(), e.toString());
            }
        }
        held.clear();
    }
}
