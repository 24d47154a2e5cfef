package dev.drawbridge.controller.conductor;

import dev.drawbridge.controller.conductor.ProvisioningStore.Work;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nodes the conductor looks after, by id, kept in step with the store without listing every node each tick:
 * nodes the conductor itself changed and nodes the node repository changed since the last mark are re-read; a full
 * reload (by print) runs every {@link #FULL_RELOAD}; the batched hot facts are written every {@link #FLUSH}. Every
 * read carries a stamp taken before it, so an older read never undoes a newer one.
 */
final class ScheduleCache {
    private static final Logger LOG = LoggerFactory.getLogger(ScheduleCache.class);
    /** A full reload of the schedule, as a backstop for changes no mark reveals (a deleted node). */
    private static final Duration FULL_RELOAD = Duration.ofSeconds(10);
    private static final Duration FLUSH = Duration.ofSeconds(2);
    private static final int SMALL_CHANGE = 64;
    /** Nodes re-read per query by a full reload. */
    private static final int RELOAD_CHUNK = 500;

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
    private final AtomicBoolean reloading = new AtomicBoolean();
    private final AtomicBoolean flushing = new AtomicBoolean();

    ScheduleCache(ProvisioningStore store, Sightings sightings, RevokedSerials revoked) {
        this.store = store;
        this.sightings = sightings;
        this.revoked = revoked;
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
        // Polls check identities against this set instead of asking the store one query per poll.
        revoked.refresh(false);
        Set<String> ids = store.drainChanged();
        long newest = mark.get();
        // A second of overlap: a slow writer may commit a stamp older than one already seen.
        for (Map.Entry<String, Long> e : store.changedSince(newest - 1000)) {
            ids.add(e.getKey());
            newest = Math.max(newest, e.getValue());
        }
        mark.accumulateAndGet(newest, Math::max);
        if (ids.size() > SMALL_CHANGE) {
            // Many nodes changed at once (a bulk edit): one listing is cheaper than a lookup per node. A listing
            // that began before these changes would miss them, so while one runs they wait for the next tick.
            if (!fullReload(wall)) {
                ids.forEach(store::changed);
            }
            return;
        }
        reread(ids, reads.incrementAndGet());
    }

    /** Starts a full reload unless one is running; returns whether it started. */
    private boolean fullReload(Instant wall) {
        if (reloading.getAndSet(true)) {
            return false;
        }
        nextFullReload = wall.plus(FULL_RELOAD);
        Thread.ofVirtual().name("conductor-reload").start(() -> {
            try {
                // Nodes this conductor changed are re-read whatever their print says: a job saved with a new
                // command id keeps the same length, and their own re-read may have failed.
                Set<String> drained = store.drainChanged();
                revoked.refresh(true);
                long newest = store.newestChange();
                long stamp = reads.incrementAndGet();
                Map<String, Long> now = store.prints();
                // Gone from the listing and not read since it began: deleted, or without an agent address.
                schedule.entrySet().removeIf(e -> !now.containsKey(e.getKey()) && e.getValue().stamp() < stamp);
                prints.keySet().retainAll(now.keySet());
                List<String> moved = new ArrayList<>();
                now.forEach((id, print) -> {
                    if (!print.equals(prints.get(id)) || drained.contains(id)) {
                        moved.add(id);
                    }
                });
                for (int i = 0; i < moved.size(); i += RELOAD_CHUNK) {
                    List<String> chunk = moved.subList(i, Math.min(moved.size(), i + RELOAD_CHUNK));
                    reread(chunk, stamp);
                    chunk.forEach(id -> prints.put(id, now.get(id)));
                }
                mark.accumulateAndGet(newest, Math::max);
            } catch (RuntimeException e) {
                LOG.warn("conductor could not reload its schedule: {}", e.toString());
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
            reread(List.of(id), reads.incrementAndGet());
        } catch (RuntimeException e) {
            store.changed(id);
        }
    }

    /**
     * Reads these nodes with a stamp taken before the read, and puts each in the schedule or drops it (no longer
     * looked after), unless a later read already decided.
     */
    private void reread(Collection<String> ids, long stamp) {
        Map<String, Work> fresh = store.some(ids);
        for (String id : ids) {
            Work w = fresh.get(id);
            if (w == null) {
                forget(id, stamp);
            } else {
                offer(id, stamp, w);
            }
        }
    }

    /**
     * Drops a node the store no longer shows as looked after, unless a read later than this one put it back: an
     * older read must not delete what a newer one found, or the node would go unpolled until its row changed.
     */
    private void forget(String id, long stamp) {
        schedule.computeIfPresent(id, (k, v) -> v.stamp() < stamp ? null : v);
    }

    /**
     * Puts a node's work in the schedule unless what is there was read later: a tick's listing that started before
     * a poll wrote its next step must not replace the poll's own re-read, or the step would be run twice.
     */
    private void offer(String id, long stamp, Work w) {
        schedule.merge(id, new Stamped(stamp, w), (old, neu) -> neu.stamp() > old.stamp() ? neu : old);
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
