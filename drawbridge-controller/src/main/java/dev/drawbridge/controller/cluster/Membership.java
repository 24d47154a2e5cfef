package dev.drawbridge.controller.cluster;

import dev.drawbridge.controller.config.ClusterConfig;
import dev.drawbridge.controller.store.Database;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This controller's membership in the store's cluster: one row per run (a new id each start), beaten every
 * {@code cluster.heartbeat}. Whether another member is alive is judged by watching its beat count move, on this
 * controller's own monotonic clock: a member whose count has not moved for {@code missed-beats} heartbeats is dead.
 * No controller's wall clock is compared with another's. This controller counts itself healthy only while its last
 * successful beat is younger than half of that, so it stops acting well before the others may declare it dead.
 * Owns the {@code cluster_members} table.
 */
public final class Membership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);

    /** A member as this controller sees it. {@code quiet}: how long its beat count has not moved, here. */
    public record Member(String id, String name, String address, String mode, Instant startedAt, long beats,
                         boolean alive, Duration quiet, boolean self) {}

    private record Seen(long beats, long changedNanos) {}

    private final Database db;
    private final ClusterConfig cfg;
    private final String id = UUID.randomUUID().toString();
    private final String name;
    private volatile String address;
    private final Clock clock;
    private final LongSupplier nanos;
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> stalls = new CopyOnWriteArrayList<>();
    private volatile long lastBeatNanos;
    /** Half the dead time, in nanoseconds: a member stops acting before the others may count it dead. */
    private final long healthyNanos;
    private volatile List<Member> view = List.of();
    private volatile Set<String> liveIds = Set.of();
    private volatile Thread thread;

    public Membership(Database db, ClusterConfig cfg, String name, String address, Clock clock, LongSupplier nanos) {
        this.db = db;
        this.cfg = cfg;
        this.healthyNanos = Duration.ofMillis(cfg.deadAfter().toMillis() / 2).toNanos();
        this.name = name;
        this.address = address;
        this.clock = clock;
        this.nanos = nanos;
    }

    /**
     * Joins: drops the rows of this member's earlier runs (same name), writes this run's row and looks once. When
     * {@code exclusive} (clustering off) and another member beat within {@code dead-after} by the store's record,
     * refuses to start with what to do.
     */
    public void join(boolean exclusive) {
        long now = clock.millis();
        List<Map<String, Object>> others = db.inTransaction(h -> {
            h.createUpdate("DELETE FROM cluster_members WHERE name = :name").bind("name", name).execute();
            List<Map<String, Object>> rows = h.createQuery("SELECT name, address, beat_at FROM cluster_members")
                    .mapToMap().list();
            h.createUpdate("INSERT INTO cluster_members (id, name, address, mode, started_at, beat_at, beats)"
                            + " VALUES (:id, :name, :address, :mode, :now, :now, 0)")
                    .bind("id", id).bind("name", name).bind("address", address)
                    .bind("mode", cfg.enabled() ? cfg.mode() : "single").bind("now", now).execute();
            return rows;
        });
        lastBeatNanos = nanos.getAsLong();
        if (exclusive) {
            for (Map<String, Object> o : others) {
                long beatAt = ((Number) o.get("beat_at")).longValue();
                if (now - beatAt < cfg.deadAfter().toMillis()) {
                    db.inTransaction(h -> h.createUpdate("DELETE FROM cluster_members WHERE id = :id")
                            .bind("id", id).execute());
                    throw new IllegalStateException("another controller (" + o.get("name") + " at "
                            + o.get("address") + ") is using this store and beat " + (now - beatAt) + " ms ago:"
                            + " set cluster.enabled on every controller that shares a store, or stop that one");
                }
            }
        }
        observe();
    }

    /**
     * Starts beating and watching, every heartbeat, on a platform thread of its own: on a virtual thread the beat
     * queued for the few carrier threads behind thousands of polls when a member took over its share, and missed
     * half the dead time.
     */
    public void start() {
        thread = Thread.ofPlatform().daemon().name("cluster-heartbeat").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(cfg.heartbeat());
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    beat();
                } catch (RuntimeException e) {
                    LOG.warn("cluster heartbeat failed ({}); healthy for {} ms more", e.toString(),
                            Math.max(0, cfg.deadAfter().toMillis() / 2 - quietSelfMillis()));
                }
                try {
                    observe();
                } catch (RuntimeException e) {
                    LOG.warn("cannot read the cluster's members: {}", e.toString());
                }
            }
        });
    }

    /** One beat. A row removed by the others (they saw this member dead) is written again. */
    void beat() {
        long started = nanos.getAsLong();
        long gap = started - lastBeatNanos;
        if (gap > cfg.deadAfter().toNanos()) {
            // Stopped (kill -STOP), starved or cut off from the store for longer than the others wait: they have
            // counted this member dead and taken what it held. Drop every claim before anything else runs.
            LOG.warn("this controller went {} ms without a beat, longer than the {} ms after which the others count"
                    + " it dead: it drops every node and lease it held and writes nothing under them",
                    Duration.ofNanos(gap).toMillis(), cfg.deadAfter().toMillis());
            stalls.forEach(Runnable::run);
        }
        long now = clock.millis();
        int n = db.inTransaction(h -> h.createUpdate("UPDATE cluster_members SET beats = beats + 1, beat_at = :now"
                + " WHERE id = :id").bind("now", now).bind("id", id).execute());
        if (n == 0) {
            LOG.warn("this controller's membership row was gone (the others counted it dead): joining again");
            db.inTransaction(h -> h.createUpdate("INSERT INTO cluster_members (id, name, address, mode, started_at,"
                            + " beat_at, beats) VALUES (:id, :name, :address, :mode, :now, :now, 0)")
                    .bind("id", id).bind("name", name).bind("address", address)
                    .bind("mode", cfg.enabled() ? cfg.mode() : "single").bind("now", now).execute());
        }
        lastBeatNanos = started;
    }

    /** Reads every member's row, updates who is alive, and drops rows dead for ten times the dead time. */
    void observe() {
        List<Map<String, Object>> rows = db.read(h -> h.createQuery("SELECT id, name, address, mode, started_at,"
                + " beats FROM cluster_members ORDER BY name, id").mapToMap().list());
        long now = nanos.getAsLong();
        long deadNanos = cfg.deadAfter().toNanos();
        List<Member> members = new ArrayList<>();
        Set<String> live = new HashSet<>();
        Set<String> present = new HashSet<>();
        for (Map<String, Object> r : rows) {
            String mid = (String) r.get("id");
            long beats = ((Number) r.get("beats")).longValue();
            present.add(mid);
            Seen s = seen.compute(mid, (k, old) -> old == null || old.beats() != beats ? new Seen(beats, now) : old);
            boolean self = mid.equals(id);
            long quiet = self ? now - lastBeatNanos : now - s.changedNanos();
            boolean alive = self ? healthy() : quiet < deadNanos;
            if (alive) {
                live.add(mid);
            }
            members.add(new Member(mid, (String) r.get("name"), (String) r.get("address"), (String) r.get("mode"),
                    Instant.ofEpochMilli(((Number) r.get("started_at")).longValue()), beats, alive,
                    Duration.ofNanos(quiet), self));
            if (!self && quiet > deadNanos * 10) {
                db.inTransaction(h -> h.createUpdate("DELETE FROM cluster_members WHERE id = :id AND beats = :b")
                        .bind("id", mid).bind("b", beats).execute());
            }
        }
        seen.keySet().retainAll(present);
        boolean changed = !live.equals(liveIds);
        view = List.copyOf(members);
        liveIds = Set.copyOf(live);
        if (changed) {
            LOG.info("cluster members alive: {}", members.stream().filter(Member::alive)
                    .map(m -> m.name() + (m.self() ? " (this one)" : "")).toList());
            listeners.forEach(Runnable::run);
        }
    }

    /** Whether this controller's last successful beat is younger than half the dead time: it may act. */
    public boolean healthy() {
        // Asked for every node at every tick of the conductor: no Duration arithmetic here.
        return nanos.getAsLong() - lastBeatNanos < healthyNanos;
    }

    private long quietSelfMillis() {
        return Duration.ofNanos(nanos.getAsLong() - lastBeatNanos).toMillis();
    }

    /** Records the URL this member is reached at, once the listener knows its port. */
    public void address(String url) {
        address = url;
        db.inTransaction(h -> h.createUpdate("UPDATE cluster_members SET address = :a WHERE id = :id")
                .bind("a", url).bind("id", id).execute());
        observe(); // so a status asked for right after start shows the address, not the one before the port was known
    }

    public String id() {
        return id;
    }

    public String name() {
        return name;
    }

    /** The members as last observed. */
    public List<Member> members() {
        return view;
    }

    /** Whether the member with this id was alive at the last look (this one: whether it is healthy now). */
    public boolean alive(String memberId) {
        return memberId.equals(id) ? healthy() : liveIds.contains(memberId);
    }

    /** The live members' names and ids, as last observed. */
    public Map<String, String> liveByName() {
        Map<String, String> out = new java.util.TreeMap<>();
        for (Member m : view) {
            if (m.alive()) {
                out.merge(m.name(), m.id(), (a, b) -> a); // two runs under one name: the first listed wins
            }
        }
        return out;
    }

    /** Runs {@code listener} when this member finds it went longer than the dead time without a beat. */
    public void onStall(Runnable listener) {
        stalls.add(listener);
    }

    /** Runs {@code listener} whenever the set of live members changes. */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    /** Leaves: stops beating and deletes this run's row, so the others take over at once. */
    @Override
    public void close() {
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            // A beat under way when the member leaves would write the row back after the delete below (a beat that
            // finds its row gone writes it again): wait for it, bounded by the store's own time-outs.
            try {
                t.join(cfg.deadAfter());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            db.inTransaction(h -> h.createUpdate("DELETE FROM cluster_members WHERE id = :id").bind("id", id)
                    .execute());
        } catch (RuntimeException e) {
            LOG.warn("could not leave the cluster cleanly: {}", e.toString());
        }
    }
}
