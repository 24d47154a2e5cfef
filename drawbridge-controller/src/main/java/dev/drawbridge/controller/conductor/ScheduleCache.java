package dev.drawbridge.controller.conductor;

import dev.drawbridge.controller.cluster.Ownership;
import dev.drawbridge.controller.conductor.ProvisioningStore.Work;
import dev.drawbridge.controller.inventory.ConductorColumns;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nodes the conductor looks after, by id, kept in step with the store without listing every node each tick:
 * nodes the conductor itself changed are re-read at the next tick, and nodes the node repository changed since the
 * last mark once every {@link #STORE_READ} (with the revocations and golden values); a full
 * reload (by print) runs every {@link #FULL_RELOAD}; the batched hot facts are written every {@link #FLUSH}. Every
 * read carries a stamp taken before it, so an older read never undoes a newer one.
 *
 * <p>A member of a cluster that holds a share of the fleet ({@link Ownership#held}) keeps every node's id (the ring
 * places them all) but reads only its share: another member's node that changes is not read again, and the full
 * reload prints only the share, listing the whole fleet every {@link #WHOLE_EVERY}th time (for nodes deleted through
 * another member). A node this member comes to hold is marked unread ({@link #unread}) and read before it is polled,
 * since its last holder may have moved its job on meanwhile. Each member's cost then follows its share, not the fleet.
 */
final class ScheduleCache {
    private static final Logger LOG = LoggerFactory.getLogger(ScheduleCache.class);
    /** A full reload of the schedule, as a backstop for changes no mark reveals (a deleted node). */
    private static final Duration FULL_RELOAD = Duration.ofSeconds(10);
    private static final Duration FLUSH = Duration.ofSeconds(2);
    /**
     * How often a tick asks the store what other writers changed (nodes, revocations, golden values). Changes this
     * controller makes itself, and wakes, are seen at the next tick without a read; the reads were a fixed cost each
     * controller paid five times a second whatever its share of the fleet.
     */
    static final Duration STORE_READ = Duration.ofSeconds(1);
    private static final int SMALL_CHANGE = 64;
    /** How far behind the newest change seen a store read looks (ms). */
    private static final long OVERLAP = 1000;
    /** Nodes re-read per query by a full reload. */
    private static final int RELOAD_CHUNK = 500;
    /** A member holding a share lists the whole fleet at every this many full reloads, its share at the others. */
    static final int WHOLE_EVERY = 6;

    /** A node's work as read by the read with this stamp. */
    private record Stamped(long stamp, Work work) {}

    private final ProvisioningStore store;
    private final Sightings sightings;
    private final RevokedSerials revoked;
    private final Map<String, Stamped> schedule = new ConcurrentHashMap<>();
    /** Each node's print as the last full reload saw it; only the reload thread touches it. */
    private final Map<String, Long> prints = new HashMap<>();
    /** Taken before every read of the store for the schedule: a later stamp saw at least as much as an earlier one. */
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong mark = new AtomicLong();
    private volatile Instant nextFullReload = Instant.EPOCH;
    private Instant nextFlush = Instant.EPOCH;
    private Instant nextStoreRead = Instant.EPOCH;
    /** The changes the last store read found within {@link #OVERLAP} of the newest; only the tick touches it. */
    private Map<String, ConductorColumns.Change> overlap = Map.of();
    /** Every group's golden values (group, PCR, hex) as of the last store read. */
    private volatile Map<String, Map<Integer, String>> golden = Map.of();
    private final AtomicBoolean reloading = new AtomicBoolean();
    /**
     * A tick left many nodes changed by other writers to the next full reload, which must then list the whole fleet
     * (some may be new, and a member's other listings cover only its share).
     */
    private final AtomicBoolean wholeWanted = new AtomicBoolean();
    private final AtomicBoolean flushing = new AtomicBoolean();
    private final Ownership owned;
    /** Nodes this member came to hold and has not read since, with the stamp of the moment it gained each. */
    private final Map<String, Long> unread = new ConcurrentHashMap<>();
    /** Full reloads so far; only the reload thread touches it. */
    private long reloads;
    /** Told of each node that may be polled from now on: new in the schedule, or read after it was gained. */
    private volatile Consumer<String> arrivals = id -> { };

    private final ConductorMetrics metrics;

    ScheduleCache(ProvisioningStore store, Sightings sightings, RevokedSerials revoked, Ownership owned,
                  ConductorMetrics metrics) {
        this.store = store;
        this.metrics = metrics;
        this.sightings = sightings;
        this.revoked = revoked;
        this.owned = owned;
        owned.onGained(id -> {
            unread.put(id, reads.incrementAndGet());
            store.changed(id);
        });
    }

    /** Counts nodes added to the schedule or dropped from it (see {@link Ownership.NodeIds}). */
    private final AtomicLong idsVersion = new AtomicLong();
    private final Ids ids = new Ids();

    /** The schedule's ids, read-only, with {@link #idsVersion}. */
    private final class Ids extends AbstractSet<String> implements Ownership.NodeIds {
        private final Set<String> view = Collections.unmodifiableSet(schedule.keySet());

        @Override
        public long version() {
            return idsVersion.get();
        }

        @Override
        public Iterator<String> iterator() {
            return view.iterator();
        }

        @Override
        public int size() {
            return view.size();
        }

        @Override
        public boolean contains(Object o) {
            return view.contains(o);
        }
    }

    /** Every node looked after, by id, as a live view that counts its changes (the cluster shares these out). */
    Ownership.NodeIds ids() {
        return ids;
    }

    /**
     * The work of the nodes this controller may poll, as last read: its share when it holds one, else every node.
     * A node gained and not read since is left out.
     */
    List<Work> mine() {
        Optional<Set<String>> held = owned.held();
        if (held.isEmpty() && unread.isEmpty()) {
            return all();
        }
        List<Work> out = new ArrayList<>();
        for (String id : held.isPresent() ? held.get() : schedule.keySet()) {
            Work w = get(id);
            if (w != null) {
                out.add(w);
            }
        }
        return out;
    }

    /** Tells {@code listener} of each node that may be polled from now on (see {@link PollTiming#arrived}). */
    void onArrival(Consumer<String> listener) {
        arrivals = listener;
    }

    /** Nodes marked unread now (a test checks that none linger). */
    int unread() {
        return unread.size();
    }

    /** The node's work as last read, unless it is not in the schedule or was gained and not read since. */
    Work get(String id) {
        Stamped s = schedule.get(id);
        // containsKey, not isEmpty first: a concurrent map's size sums its counter cells, its lookup does not.
        return s == null || unread.containsKey(id) ? null : s.work();
    }

    /** Every group's golden values as of the last store read (see {@link ProvisioningStore#withGolden}). */
    Map<String, Map<Integer, String>> golden() {
        return golden;
    }

    /** The work of every node looked after, as last read. */
    List<Work> all() {
        List<Work> out = new ArrayList<>(schedule.size());
        schedule.values().forEach(s -> out.add(s.work()));
        return out;
    }

    /**
     * Brings the cached schedule up to date without listing every node: nodes whose conductor columns this
     * conductor changed and nodes the node repository changed since the last mark, read here; a full reload every
     * {@link #FULL_RELOAD} and the batch of hot facts every {@link #FLUSH}, each on a virtual thread of its own so
     * that a tick stays short at ten thousand nodes (a full listing there takes hundreds of milliseconds).
     */
    void refresh(Instant wall) {
        if (!wall.isBefore(nextFlush) && !flushing.getAndSet(true)) {
            nextFlush = wall.plus(FLUSH);
            Thread.ofVirtual().name("conductor-flush").start(() -> {
                try {
                    sightings.flush();
                } catch (RuntimeException e) {
                    LOG.warn("could not write the batched sightings and verdicts: {}", e.toString());
                } finally {
                    flushing.set(false);
                }
            });
        }
        if (!wall.isBefore(nextFullReload)) {
            fullReload(wall);
        }
        // The store first: a read that fails ends the tick (no poll starts) with nothing drained or advanced, so the
        // next tick asks again; until one read has succeeded no poll runs without the golden values.
        Set<String> fromStore = Collections.emptySet();
        if (!wall.isBefore(nextStoreRead)) {
            fromStore = new HashSet<>();
            // Polls check identities against this set instead of asking the store one query per poll.
            revoked.refresh(false);
            Map<String, Map<Integer, String>> g = store.golden();
            long newest = mark.get();
            // A second of overlap: a slow writer may commit a stamp older than one already seen. A change the last
            // read found already (the same node, stamp and version) is not read again: at rest the overlap would
            // otherwise read the newest second's nodes once a second for ever.
            Map<String, ConductorColumns.Change> found = new HashMap<>();
            for (ConductorColumns.Change c : store.changedSince(newest - OVERLAP)) {
                if (!c.equals(overlap.get(c.id()))) {
                    fromStore.add(c.id());
                }
                found.put(c.id(), c);
                newest = Math.max(newest, c.at());
            }
            long since = newest - OVERLAP;
            found.values().removeIf(c -> c.at() < since);
            golden = g;
            mark.accumulateAndGet(newest, Math::max);
            overlap = found;
            nextStoreRead = wall.plus(STORE_READ);
        }
        Set<String> ids = store.drainChanged();
        // An unread node is read even when this member no longer holds it (gained, then lost before its read): the
        // read is what clears its mark, so it does not linger, and a stamp later than the read (gained once more
        // meanwhile) keeps the mark.
        ids.removeIf(id -> !wanted(id) && !unread.containsKey(id));
        fromStore.removeIf(id -> ids.contains(id) || !wanted(id) && !unread.containsKey(id));
        // Nodes just gained are read here and now, by id in chunks, so a share taken over from a dead member is
        // polled at the next tick rather than after a reload.
        List<String> gained = new ArrayList<>();
        ids.removeIf(id -> unread.containsKey(id) && gained.add(id));
        fromStore.removeIf(id -> unread.containsKey(id) && gained.add(id));
        try {
            for (int i = 0; i < gained.size(); i += RELOAD_CHUNK) {
                reread(gained.subList(i, Math.min(gained.size(), i + RELOAD_CHUNK)), reads.incrementAndGet(), "gained");
            }
        } catch (RuntimeException e) {
            gained.forEach(store::changed); // read at the next tick (or the reload): a gained node must not stay unread
            ids.forEach(store::changed);
            fromStore.forEach(store::changed);
            throw e;
        }
        if (ids.size() + fromStore.size() > SMALL_CHANGE) {
            // Many nodes changed at once (every node at start, a bulk edit): one listing is cheaper than a lookup per
            // node, so a whole reload is asked for, now or as soon as the running one ends. What other writers
            // changed moved its node's print (its update stamp), which that listing, begun after this store read,
            // compares with the print last read, so those ids are not kept: kept, a reload already running, which
            // reads most of them, would be followed by one reading them all again. What this controller changed
            // itself may keep its print (a job saved with a new command id keeps its length): those go back to the
            // changed set, which a reload reads whatever the prints say.
            if (ids.size() > SMALL_CHANGE) {
                ids.forEach(store::changed);
                ids.clear();
            }
            if (!fromStore.isEmpty()) {
                wholeWanted.set(true);
            }
            if (!fullReload(wall)) {
                nextFullReload = Instant.EPOCH;
            }
            if (ids.isEmpty()) {
                return;
            }
        } else {
            ids.addAll(fromStore);
        }
        try {
            reread(ids, reads.incrementAndGet(), "tick");
        } catch (RuntimeException e) {
            ids.forEach(store::changed);
            throw e;
        }
    }

    /** Starts a full reload unless one is running; returns whether it started. */
    private boolean fullReload(Instant wall) {
        if (reloading.getAndSet(true)) {
            return false;
        }
        nextFullReload = wall.plus(FULL_RELOAD);
        Thread.ofVirtual().name("conductor-reload").start(() -> {
            Set<String> drained = Set.of();
            boolean asked = false;
            try {
                // Nodes this conductor changed (or gained) are re-read whatever their print says: a job saved with a
                // new command id keeps the same length, and their own re-read may have failed.
                drained = store.drainChanged();
                revoked.refresh(true);
                long newest = store.newestChange();
                long stamp = reads.incrementAndGet();
                Optional<Set<String>> held = owned.held();
                // Taken before the listing: a tick that asks for a whole one after this reload began gets the next.
                asked = wholeWanted.getAndSet(false);
                boolean whole = held.isEmpty() || reloads++ % WHOLE_EVERY == 0 || asked;
                List<String> share = whole ? List.of() : List.copyOf(held.get());
                Map<String, Long> now = whole ? store.prints() : store.prints(share);
                if (whole) {
                    // Gone from the listing and not read since it began: deleted, or without an agent address.
                    if (schedule.entrySet().removeIf(e -> !now.containsKey(e.getKey()) && e.getValue().stamp() < stamp)) {
                        idsVersion.incrementAndGet();
                    }
                    prints.keySet().retainAll(now.keySet());
                } else {
                    for (String id : share) {
                        if (!now.containsKey(id)) {
                            forget(id, stamp);
                            prints.remove(id);
                        }
                    }
                }
                Set<String> moved = new LinkedHashSet<>();
                now.forEach((id, print) -> {
                    if (!print.equals(prints.get(id)) && wanted(id)) {
                        moved.add(id);
                    }
                });
                for (String id : drained) {
                    if (wanted(id)) {
                        moved.add(id);
                    }
                }
                // A gained node whose read failed, or whose id a tick drained; read even if lost since (see tick).
                moved.addAll(unread.keySet());
                List<String> order = List.copyOf(moved);
                for (int i = 0; i < order.size(); i += RELOAD_CHUNK) {
                    List<String> chunk = order.subList(i, Math.min(order.size(), i + RELOAD_CHUNK));
                    reread(chunk, stamp, "reload");
                    for (String id : chunk) {
                        Long print = now.get(id);
                        if (print != null) {
                            prints.put(id, print);
                        }
                    }
                }
                mark.accumulateAndGet(newest, Math::max);
            } catch (RuntimeException e) {
                LOG.warn("conductor could not reload its schedule: {}", e.toString());
                drained.forEach(store::changed);
                if (asked) {
                    wholeWanted.set(true); // the nodes a tick left to this listing wait for the next one
                }
                nextFullReload = Instant.EPOCH;
            } finally {
                reloading.set(false);
            }
        });
        return true;
    }

    /**
     * Re-reads one busy node on its own poll thread after its step, so a fleet being managed does not make every
     * tick reload thousands of nodes; a failed read leaves it to the tick.
     */
    void reload(String id) {
        store.reloaded(id);
        try {
            reread(List.of(id), reads.incrementAndGet(), "poll");
        } catch (RuntimeException e) {
            store.changed(id);
        }
    }

    /**
     * Reads these nodes with a stamp taken before the read, and puts each in the schedule or drops it (no longer
     * looked after), unless a later read already decided.
     */
    private void reread(Collection<String> ids, long stamp, String by) {
        if (ids.isEmpty()) {
            return;
        }
        Map<String, Work> fresh = store.some(ids);
        metrics.read(by, ids.size());
        for (String id : ids) {
            Work w = fresh.get(id);
            if (w == null) {
                forget(id, stamp);
            } else {
                offer(id, stamp, w);
            }
            // Read after it was gained (the stamp was taken before this read began): it may be polled now.
            if (unread.containsKey(id) && unread.computeIfPresent(id, (k, gainedAt) -> stamp > gainedAt ? null
                    : gainedAt) == null) {
                arrivals.accept(id);
            }
        }
    }

    /**
     * A node worth reading: any node when this controller holds all or nothing, else one of its share, or one not in
     * the schedule yet (a new node: every member needs its id for the ring).
     */
    private boolean wanted(String id) {
        Optional<Set<String>> held = owned.held();
        return held.isEmpty() || held.get().contains(id) || !schedule.containsKey(id);
    }

    /**
     * Drops a node the store no longer shows as looked after, unless a read later than this one put it back: an
     * older read must not delete what a newer one found, or the node would go unpolled until its row changed.
     */
    private void forget(String id, long stamp) {
        schedule.computeIfPresent(id, (k, v) -> {
            if (v.stamp() < stamp) {
                idsVersion.incrementAndGet();
                return null;
            }
            return v;
        });
    }

    /**
     * Puts a node's work in the schedule unless what is there was read later: a tick's listing that started before
     * a poll wrote its next step must not replace the poll's own re-read, or the step would be run twice.
     */
    private void offer(String id, long stamp, Work w) {
        boolean fresh = !schedule.containsKey(id);
        if (fresh) {
            idsVersion.incrementAndGet();
        }
        schedule.merge(id, new Stamped(stamp, w), (old, neu) -> neu.stamp() > old.stamp() ? neu : old);
        if (fresh) {
            arrivals.accept(id);
        }
    }

    /** The conductor changed this node's columns (or an operator acted on it): re-read it at the next tick. */
    void changed(String id) {
        store.changed(id);
    }

    /** Writes the batched hot facts now (at stop). */
    void flushNow() {
        try {
            sightings.flush();
        } catch (RuntimeException e) {
            LOG.warn("could not write the last sightings: {}", e.toString());
        }
    }
}
