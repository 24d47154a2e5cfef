package dev.drawbridge.controller.fence;

import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.store.CrashPoints;
import dev.drawbridge.controller.store.Database;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a fence's pending steps in order and stores how each ended. Power-off runs on its own thread beside the
 * later steps. A store-only step runs inside the transaction that stores its status. The statuses of the other
 * steps wait for the next write (the next store-only step's transaction, or the fence's last one) instead of taking
 * a transaction each: after a crash in between, those steps run again at restart, which every step allows.
 */
final class StepRunner {
    private static final Logger LOG = LoggerFactory.getLogger(StepRunner.class);
    private final Database db;
    private final List<FenceStep> steps;
    private final Clock clock;
    private final Timer latency;

    /** A step's result not stored yet. */
    private record Ended(int ordinal, FenceStep.Result result) {}

    StepRunner(Database db, List<FenceStep> steps, Clock clock, Timer latency) {
        this.db = db;
        this.steps = List.copyOf(steps);
        this.clock = clock;
        this.latency = latency;
    }

    void run(Fence fence, Node node) {
        Thread power = null;
        List<Ended> unstored = new ArrayList<>();
        for (Fence.StepState s : fence.steps()) {
            if (!s.status().equals("pending")) {
                continue;
            }
            FenceStep step = steps.get(s.ordinal());
            if (step.runsBeside()) {
                power = Thread.ofVirtual().name("fence-power-" + node.name()).start(() -> {
                    Ended off = new Ended(s.ordinal(), attempt(step, fence, node));
                    db.inTransaction(h -> store(h, fence.id(), List.of(off)));
                });
            } else if (step.storeOnly()) {
                storeWith(fence, node, s.ordinal(), step, unstored);
                unstored.clear();
            } else {
                unstored.add(new Ended(s.ordinal(), attempt(step, fence, node)));
            }
            CrashPoints.reached("fence:" + step.name());
        }
        latency.record(Duration.between(fence.createdAt(), clock.instant()));
        if (power != null && power.isAlive() && !unstored.isEmpty()) {
            // A slow BMC must not keep the statuses of steps already done out of the store.
            db.inTransaction(h -> store(h, fence.id(), unstored));
            unstored.clear();
        }
        if (power != null) {
            try {
                power.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        finish(fence.id(), unstored);
    }

    /**
     * Runs a store-only step in one transaction with its status and the statuses still waiting. The step's own
     * {@code Database.inTransaction} joins this one (same thread), so its change and its status commit together; if
     * either fails, neither does, and the failure is stored (with the waiting statuses) on its own.
     */
    private void storeWith(Fence fence, Node node, int ordinal, FenceStep step, List<Ended> unstored) {
        try {
            db.inTransaction(h -> {
                Ended ended = new Ended(ordinal, step.run(fence.id(), node, fence.reason()));
                warnIfFailed(fence, node, step, ended.result());
                List<Ended> all = new ArrayList<>(unstored);
                all.add(ended);
                return store(h, fence.id(), all);
            });
        } catch (RuntimeException e) {
            FenceStep.Result failed = failed(e);
            warnIfFailed(fence, node, step, failed);
            List<Ended> all = new ArrayList<>(unstored);
            all.add(new Ended(ordinal, failed));
            db.inTransaction(h -> store(h, fence.id(), all));
        }
    }

    private FenceStep.Result attempt(FenceStep step, Fence fence, Node node) {
        FenceStep.Result result;
        try {
            result = step.run(fence.id(), node, fence.reason());
        } catch (RuntimeException e) {
            result = failed(e);
        }
        warnIfFailed(fence, node, step, result);
        return result;
    }

    private static FenceStep.Result failed(RuntimeException e) {
        return FenceStep.Result.failed(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }

    private static void warnIfFailed(Fence fence, Node node, FenceStep step, FenceStep.Result result) {
        if (result.status() == FenceStep.Status.FAILED) {
            LOG.warn("fence {} of {}: step {} failed: {}", fence.id(), node.name(), step.name(), result.detail());
        }
    }

    private int store(Handle h, String fenceId, List<Ended> ended) {
        for (Ended e : ended) {
            h.createUpdate("UPDATE fence_steps SET status = :s, detail = :d, updated_at = :at"
                            + " WHERE fence_id = :f AND ordinal = :o")
                    .bind("s", e.result().status().wire()).bind("d", e.result().detail())
                    .bind("at", clock.instant().toEpochMilli()).bind("f", fenceId).bind("o", e.ordinal()).execute();
        }
        return ended.size();
    }

    /**
     * Stores the waiting statuses and the fence's own: failed when any step failed or was skipped (a step that had
     * something to do and did not do it, such as power-off without a power driver), else done.
     */
    private void finish(String fenceId, List<Ended> unstored) {
        long now = clock.instant().toEpochMilli();
        db.inTransaction(h -> {
            store(h, fenceId, unstored);
            boolean failed = h.createQuery("SELECT COUNT(*) FROM fence_steps WHERE fence_id = :f"
                            + " AND status IN ('failed', 'skipped')")
                    .bind("f", fenceId).mapTo(Long.class).one() > 0;
            return h.createUpdate("UPDATE fences SET status = :s, finished_at = :at"
                            + " WHERE id = :f AND status = 'running'").bind("s", failed ? "failed" : "done").bind("at", now).bind("f", fenceId).execute();
        });
    }
}
