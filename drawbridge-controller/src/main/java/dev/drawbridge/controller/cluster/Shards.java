package dev.drawbridge.controller.cluster;

import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.Dialect;
import dev.drawbridge.controller.store.WriteGuard;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Nodes shared among the live members by a {@link HashRing} of their names, each node held through a reservation
 * (owner and epoch). A member takes a node the ring gives it when nobody holds it, when its holder released it, or
 * when its holder is dead, by a conditional update on the owner and epoch it saw that raises the epoch; it releases
 * a node the ring gives another once no poll of it is in flight. So while two members' views of the ring differ, a
 * node still has one holder, and every write about it checks the epoch ({@link #guard}). Owns the
 * {@code reservations} table.
 */
public final class Shards implements Ownership {
    private static final Logger LOG = LoggerFactory.getLogger(Shards.class);

    private record Row(String node, String owner, long epoch) {}

    private final Database db;
    private final Membership membership;
    private final int points;
    private final Clock clock;
    private final Map<String, Long> held = new ConcurrentHashMap<>();
    private final Optional<Set<String>> heldView = Optional.of(java.util.Collections.unmodifiableSet(held.keySet()));
    private volatile Map<String, Integer> counts = Map.of();
    private final AtomicLong fenced = new AtomicLong();
    private final AtomicLong taken = new AtomicLong();
    /** What the last full pass saw, so a pass with nothing new to do can be skipped (see {@link #refresh}). */
    private Map<String, String> lastLive = Map.of();
    private Set<String> lastNodes = Set.of();
    private long lastVersion = -1;
    private volatile boolean unsettled = true;
    private int skipped;
    private volatile Consumer<String> gained = id -> { };
    private final RefusalLog refusals = new RefusalLog(LOG, REFUSALS_LOGGED, java.time.Duration.ofSeconds(10),
            System::nanoTime);

    /** At most this many refused writes are logged every 10 s; every one is counted. */
    static final int REFUSALS_LOGGED = 20;

    /** At most this many passes in a row are skipped when nothing changed: a full pass every 11 heartbeats. */
    static final int FULL_EVERY = 10;

    public Shards(Database db, Membership membership, int points, Clock clock) {
        this.db = db;
        this.membership = membership;
        this.points = points;
        this.clock = clock;
    }

    @Override
    public boolean mine(String nodeId) {
        return held.containsKey(nodeId) && membership.healthy();
    }

    @Override
    public Optional<Set<String>> held() {
        return heldView; // asked per node on the conductor's hot paths: one view, made once
    }

    @Override
    public void onGained(Consumer<String> listener) {
        gained = listener;
        held.keySet().forEach(listener);
    }

    /** Records a claim; a node not held until now is announced first (see {@link Ownership#onGained}). */
    private void hold(String id, long epoch) {
        if (!held.containsKey(id)) {
            gained.accept(id);
        }
        held.put(id, epoch);
    }

    @Override
    public synchronized void refresh(Collection<String> nodeIds, Set<String> busy) {
        if (!membership.healthy()) {
            if (!held.isEmpty()) {
                LOG.warn("this controller cannot beat: it stops driving its {} nodes until it can", held.size());
                held.clear();
            }
            unsettled = true;
            return;
        }
        // A full pass reads every reservation and places every node on the ring. It is needed when the live
        // members or the nodes changed, while a take or release is still pending, and every FULL_EVERY passes
        // (a claim lost some other way is also caught by the epoch checks at write time and by the agents).
        Map<String, String> live = membership.liveByName();
        Set<String> nodes = nodeIds instanceof Set<String> set ? set : new HashSet<>(nodeIds);
        long version = nodes instanceof NodeIds v ? v.version() : -1; // read before the ids themselves
        boolean sameNodes = version >= 0 ? version == lastVersion : nodes.equals(lastNodes);
        if (!unsettled && skipped < FULL_EVERY && live.equals(lastLive) && sameNodes) {
            skipped++;
            return;
        }
        skipped = 0;
        lastLive = Map.copyOf(live);
        lastVersion = version;
        lastNodes = version >= 0 ? Set.of() : Set.copyOf(nodes);
        String me = membership.id();
        HashRing ring = new HashRing(live.keySet(), points);
        Map<String, Row> rows = new HashMap<>();
        db.read(h -> h.createQuery("SELECT node_id, owner, epoch FROM reservations")
                .map((rs, c) -> new Row(rs.getString(1), rs.getString(2), rs.getLong(3))).list())
                .forEach(r -> rows.put(r.node(), r));
        List<String> inserts = new ArrayList<>();
        List<Row> takes = new ArrayList<>();
        List<Row> releases = new ArrayList<>();
        List<String> wanted = new ArrayList<>();
        boolean deferred = false;
        for (String id : nodes) {
            boolean want = ring.owner(id).map(membership.name()::equals).orElse(false);
            if (want) {
                wanted.add(id);
            }
            Row r = rows.get(id);
            if (want) {
                if (r == null) {
                    inserts.add(id);
                } else if (r.owner().equals(me)) {
                    hold(id, r.epoch());
                } else if (r.owner().isEmpty() || !membership.alive(r.owner())) {
                    takes.add(r);
                } else {
                    held.remove(id); // its live holder releases it once it sees the same ring
                }
            } else if (r != null && r.owner().equals(me)) {
                // Claim off first, then look for a poll in flight (the conductor marks a poll in flight first, then
                // checks the claim): a poll never starts on a node whose release is under way.
                held.remove(id);
                if (busy.contains(id)) {
                    hold(id, r.epoch());
                    deferred = true;
                } else {
                    releases.add(r);
                }
            } else {
                held.remove(id);
            }
        }
        Set<String> inserting = new HashSet<>(inserts);
        held.keySet().removeIf(id -> !rows.containsKey(id) && !inserting.contains(id));
        if (!inserts.isEmpty() || !takes.isEmpty() || !releases.isEmpty()) {
            write(me, inserts, takes, releases);
        }
        // Settled when every node the ring gives this member is held and nothing waits to be released.
        unsettled = deferred || !held.keySet().containsAll(wanted);
        Map<String, Integer> byOwner = new HashMap<>();
        db.read(h -> h.createQuery("SELECT owner, COUNT(*) FROM reservations GROUP BY owner")
                .map((rs, c) -> Map.entry(rs.getString(1), rs.getInt(2))).list())
                .forEach(e -> byOwner.put(e.getKey(), e.getValue()));
        counts = Map.copyOf(byOwner);
    }

    private void write(String me, List<String> inserts, List<Row> takes, List<Row> releases) {
        long now = clock.millis();
        db.inTransaction(h -> {
            if (!inserts.isEmpty()) {
                PreparedBatch batch = h.prepareBatch("INSERT INTO reservations (node_id, owner, epoch, taken_at)"
                        + " VALUES (:n, :me, 1, :now) ON CONFLICT (node_id) DO NOTHING");
                inserts.forEach(id -> batch.bind("n", id).bind("me", me).bind("now", now).add());
                int[] done = batch.execute();
                for (int i = 0; i < done.length; i++) {
                    if (done[i] == 1) {
                        hold(inserts.get(i), 1L);
                    }
                }
            }
            if (!takes.isEmpty()) {
                PreparedBatch batch = h.prepareBatch("UPDATE reservations SET owner = :me, epoch = epoch + 1,"
                        + " taken_at = :now WHERE node_id = :n AND owner = :o AND epoch = :e");
                takes.forEach(r -> batch.bind("me", me).bind("now", now).bind("n", r.node()).bind("o", r.owner())
                        .bind("e", r.epoch()).add());
                int[] done = batch.execute();
                for (int i = 0; i < done.length; i++) {
                    if (done[i] == 1) {
                        hold(takes.get(i).node(), takes.get(i).epoch() + 1);
                        taken.incrementAndGet();
                    }
                }
            }
            if (!releases.isEmpty()) {
                PreparedBatch batch = h.prepareBatch("UPDATE reservations SET owner = '' WHERE node_id = :n"
                        + " AND owner = :me AND epoch = :e");
                releases.forEach(r -> batch.bind("n", r.node()).bind("me", me).bind("e", r.epoch()).add());
                batch.execute();
            }
            return null;
        });
        long took = takes.stream().filter(r -> held.containsKey(r.node())).count();
        if (took > 0 || !releases.isEmpty()) {
            LOG.info("cluster: took {} nodes ({} from dead or departed members), released {}", inserts.size() + took,
                    took, releases.size());
        }
    }

    @Override
    public WriteGuard guard(String nodeId) {
        return h -> {
            Long epoch = held.get(nodeId);
            if (epoch == null || !membership.healthy()) {
                refuse(nodeId, epoch, "this controller no longer holds it");
            }
            String lock = db.dialect() == Dialect.POSTGRESQL ? " FOR SHARE" : "";
            Optional<Row> row = h.createQuery("SELECT node_id, owner, epoch FROM reservations WHERE node_id = :n"
                    + lock).bind("n", nodeId).map((rs, c) -> new Row(rs.getString(1), rs.getString(2),
                    rs.getLong(3))).findFirst();
            if (row.isEmpty() || !row.get().owner().equals(membership.id()) || row.get().epoch() != epoch) {
                held.remove(nodeId);
                unsettled = true;
                refuse(nodeId, epoch, row.map(r -> "its reservation is now " + (r.owner().isEmpty() ? "released"
                        : "held by " + r.owner()) + " at epoch " + r.epoch()).orElse("its reservation is gone"));
            }
        };
    }

    private void refuse(String nodeId, Long epoch, String why) {
        fenced.incrementAndGet();
        refusals.warn("refused a write about node {} (epoch {}): {}", nodeId, epoch, why);
        throw new WriteGuard.Fenced("node " + nodeId + " is not this controller's to change: " + why);
    }

    @Override
    public java.util.OptionalLong epoch(String nodeId) {
        Long e = held.get(nodeId);
        return e == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(e);
    }

    @Override
    public Map<String, Integer> counts() {
        return counts;
    }

    /** Writes refused by a reservation's epoch check, since start. */
    public long fencedWrites() {
        return fenced.get();
    }

    /** Nodes taken from dead or departed members, since start. */
    public long takenOver() {
        return taken.get();
    }

    /** Forgets every claim without writing (after a stall: the store may already say they are others'). */
    public synchronized void dropAll() { // with refresh's lock: a pass under way must not record a settled state
        held.clear();
        unsettled = true;
    }

    /** Releases every node this member holds (at stop), so the others take them at once. */
    public void releaseAll() {
        try {
            db.inTransaction(h -> h.createUpdate("UPDATE reservations SET owner = '' WHERE owner = :me")
                    .bind("me", membership.id()).execute());
        } catch (RuntimeException e) {
            LOG.warn("could not release this controller's nodes: {}", e.toString());
        }
        held.clear();
        unsettled = true;
    }
}
