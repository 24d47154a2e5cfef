package dev.drawbridge.controller.fence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.inventory.NewNode;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.StoreConfig;
import dev.drawbridge.controller.verify.Verdicts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store-only fence step commits its change with its status, or neither; the statuses of other steps are stored
 * with the next store write, and none waits for a slow power-off.
 */
class FenceStepTransactionTest {
    @TempDir Path dir;
    Database db;
    final NodeRepository nodes = NodeRepository.jdbi();
    final AuditLog audit = AuditLog.jdbi();
    final Clock clock = Clock.systemUTC();
    Node node;

    @BeforeEach
    void open() {
        db = Database.open(StoreConfig.defaults(), dir);
        node = db.inTransaction(h -> nodes.create(h, new NewNode("fence-tx", List.of("52:54:00:00:00:09"), Map.of(),
                Optional.empty(), Optional.empty(), Optional.empty(), "poll", Optional.empty(), Optional.empty()),
                clock.instant()));
        db.inTransaction(h -> h.execute("UPDATE nodes SET state = 'active'"));
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    @DisplayName("a store-only step that fails leaves neither its change nor a done status, and the fence ends failed")
    void storeOnlyFailureRollsBackItsChange() {
        FenceStep markThenFail = step("mark-then-fail", true, n -> {
            db.inTransaction(h -> h.execute("UPDATE nodes SET reason = 'marked by the step' WHERE id = ?", n.id()));
            throw new IllegalStateException("the step broke after writing");
        });
        FenceStep inStore = step("in-store", true, n -> {
            db.inTransaction(h -> h.execute("UPDATE nodes SET placement_disabled = 1 WHERE id = ?", n.id()));
            return FenceStep.Result.done("closed");
        });
        FenceStep before = step("before", false, n -> FenceStep.Result.done("called out"));
        FenceStep outside = step("outside", false, n -> FenceStep.Result.skipped("nothing to call"));

        Fence fence = service(List.of(before, markThenFail, inStore, outside)).fence(node.id(), Trigger.OPERATOR, "test",
                "tester");

        assertThat(fence.status()).isEqualTo("failed");
        assertThat(fence.steps()).extracting(Fence.StepState::status)
                .containsExactly("done", "failed", "done", "skipped");
        assertThat(fence.steps().get(1).detail()).contains("the step broke after writing");
        Map<String, Object> row = db.read(h -> h.createQuery("SELECT reason, placement_disabled FROM nodes WHERE id = :id")
                .bind("id", node.id()).mapToMap().one());
        assertThat(row.get("reason")).isEqualTo("fenced: test");
        assertThat(((Number) row.get("placement_disabled")).intValue()).isEqualTo(1);
    }

    @Test
    @DisplayName("a store-only step sees its own change and writes its status in the same transaction")
    void storeOnlyStepSharesTheStatusTransaction() {
        FenceStep check = step("check", true, n -> {
            db.inTransaction(h -> h.execute("UPDATE nodes SET placement_disabled = 1 WHERE id = ?", n.id()));
            // A read joins the open transaction (same thread) and sees the uncommitted change.
            int seen = db.read(h -> h.createQuery("SELECT placement_disabled FROM nodes WHERE id = :id")
                    .bind("id", n.id()).mapTo(Integer.class).one());
            return FenceStep.Result.done("seen " + seen);
        });

        Fence fence = service(List.of(check)).fence(node.id(), Trigger.OPERATOR, "test", "tester");

        assertThat(fence.status()).isEqualTo("done");
        assertThat(fence.steps().get(0).detail()).contains("seen 1");
    }

    @Test
    @DisplayName("while power-off is still under way, the statuses of the steps already done are in the store")
    void statusesDoNotWaitForPowerOff() throws Exception {
        CountDownLatch bmc = new CountDownLatch(1);
        FenceStep power = Steps.step("power-off", false, true, (fence, n, reason) -> {
            try {
                bmc.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return FenceStep.Result.done("reads back power off");
        });
        FenceStep notify = step("notify", false, n -> FenceStep.Result.done("webhook answered 204"));
        FenceService fences = service(List.of(step("revoke", false, n -> FenceStep.Result.done("revoked")), power,
                notify));

        Thread fencing = Thread.ofVirtual().start(() -> fences.fence(node.id(), Trigger.OPERATOR, "slow bmc", "tester"));
        List<String> seen = List.of();
        for (int i = 0; i < 500 && !seen.equals(List.of("done", "pending", "done")); i++) {
            Thread.sleep(10);
            seen = fences.forNode(node.id()).stream().findFirst().map(f -> f.steps().stream()
                    .map(Fence.StepState::status).toList()).orElse(List.of());
        }
        assertThat(seen).containsExactly("done", "pending", "done");
        bmc.countDown();
        fencing.join();
        Fence fence = fences.forNode(node.id()).getFirst();
        assertThat(fence.status()).isEqualTo("done");
        assertThat(fence.steps()).extracting(Fence.StepState::status).containsExactly("done", "done", "done");
    }

    @Test
    @DisplayName("a node already fenced is not fenced again by a poll that read it before its fence committed: the"
            + " automatic trigger gets the fence it has; an operator may still fence it again")
    void anAutomaticFenceOfAFencedNodeStacksNothing() {
        FenceService fences = service(List.of(step("in-store", true, n -> FenceStep.Result.done("ok"))));
        List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        fences.onMoved(id -> told.add(id + ":" + db.read(h -> nodes.find(h, id).orElseThrow().state().wire())));
        Fence first = fences.fence(node.id(), Trigger.ATTESTATION, "quote failed", "conductor");
        assertThat(first.status()).isEqualTo("done");
        assertThat(told).as("the conductor is told once the fence committed").first()
                .isEqualTo(node.id() + ":fenced");

        Fence again = fences.fence(node.id(), Trigger.ATTESTATION, "quote failed (a stale poll)", "conductor");
        Fence silent = fences.fence(node.id(), Trigger.UNREACHABLE, "agent silent", "policy");
        assertThat(again.id()).isEqualTo(first.id());
        assertThat(silent.id()).isEqualTo(first.id());
        assertThat(fences.forNode(node.id())).hasSize(1);

        Fence byHand = fences.fence(node.id(), Trigger.OPERATOR, "re-run the power-off", "alice");
        assertThat(byHand.id()).isNotEqualTo(first.id());
        assertThat(fences.forNode(node.id())).hasSize(2);
    }

    private FenceService service(List<FenceStep> steps) {
        return new FenceService(db, nodes, audit, steps, new Verdicts(db, audit, clock, Duration.ofSeconds(30)), clock,
                new SimpleMeterRegistry());
    }

    private interface Body {
        FenceStep.Result run(Node node);
    }

    private static FenceStep step(String name, boolean storeOnly, Body body) {
        return Steps.step(name, storeOnly, (fence, node, reason) -> body.run(node));
    }
}
