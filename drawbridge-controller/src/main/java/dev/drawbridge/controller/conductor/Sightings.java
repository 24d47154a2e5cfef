package dev.drawbridge.controller.conductor;

import dev.drawbridge.controller.inventory.ConductorColumns;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.store.Database;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.jdbi.v3.core.Handle;

/**
 * When each node's agent last answered. A settled node's routine answer is a hot fact: it waits in memory and is
 * written with the next batch ({@link #flush()}, every few seconds, together with the repeated verdicts). An answer
 * that changes something (progress, or a node flagged unreachable) is written at once.
 */
final class Sightings {
    private final Database db;
    private final ConductorMetrics metrics;
    /** Writes the repeated verdicts waiting to be refreshed; returns how many there were. */
    private final IntSupplier flushVerdicts;
    /** Tells the schedule that the node's columns changed, so it is re-read at the next tick. */
    private final Consumer<String> changed;
    private final Map<String, Instant> waiting = new ConcurrentHashMap<>();

    Sightings(Database db, ConductorMetrics metrics, IntSupplier flushVerdicts, Consumer<String> changed) {
        this.db = db;
        this.metrics = metrics;
        this.flushVerdicts = flushVerdicts;
        this.changed = changed;
    }

    /** The agent answered at {@code at}, reporting no progress: written now, clearing any earlier progress. */
    void seen(String id, Instant at) {
        write(id, h -> ConductorColumns.seen(h, id, at.toEpochMilli()));
    }

    /** The agent answered at {@code at}, reporting {@code progress} (JSON): written now. */
    void seen(String id, Instant at, String progress) {
        write(id, h -> ConductorColumns.seen(h, id, at.toEpochMilli(), progress));
    }

    private void write(String id, Consumer<Handle> update) {
        metrics.wrote("seen");
        waiting.remove(id);
        changed.accept(id);
        db.inTransaction(h -> {
            update.accept(h);
            return null;
        });
    }

    /**
     * A settled node answered a routine poll: its {@code last_seen} is written with the next batch, not in a
     * transaction of its own. A node flagged unreachable is cleared at once instead.
     */
    void later(Node node, Instant at) {
        if (node.unreachable()) {
            seen(node.id(), at);
            return;
        }
        waiting.put(node.id(), at);
    }

    /** Writes the hot facts waiting in memory: repeated verdicts, then sightings, each batch in one transaction. */
    void flush() {
        int verdicts = flushVerdicts.getAsInt();
        if (verdicts > 0) {
            metrics.wrote("verdict-batch");
            metrics.batched(verdicts);
        }
        if (waiting.isEmpty()) {
            return;
        }
        Map<String, Long> batch = new HashMap<>();
        for (String id : List.copyOf(waiting.keySet())) {
            Instant at = waiting.remove(id);
            if (at != null) {
                batch.put(id, at.toEpochMilli());
            }
        }
        metrics.wrote("seen-batch");
        metrics.batched(batch.size());
        db.inTransaction(h -> {
            ConductorColumns.seenAll(h, batch);
            return null;
        });
    }
}
