package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.verify.Trust;
import dev.drawbridge.controller.verify.Verdicts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Repeated verdicts are hot facts, written in batches; a changed verdict is on record before the call returns. */
class VerdictBatchingTest {
    @TempDir Path dir;

    private static long verdictAt(RunningController c, String id) {
        return c.controller.database().inTransaction(h -> h.createQuery("SELECT verdict_at FROM nodes WHERE id = :id")
                .bind("id", id).mapTo(Long.class).one());
    }

    private static String stored(RunningController c, String id) {
        return c.controller.database().inTransaction(h -> h.createQuery("SELECT verdict FROM nodes WHERE id = :id")
                .bind("id", id).mapTo(String.class).one());
    }

    private static int history(RunningController c, String id) {
        return c.controller.database().inTransaction(h -> h.createQuery(
                "SELECT COUNT(*) FROM attestations WHERE node_id = :id").bind("id", id).mapTo(Integer.class).one());
    }

    @Test
    @DisplayName("a repeated verdict waits for the batch; a changed one is written at once; a fence's verdict wins")
    void repeatsAreBatchedChangesAreNot() throws Exception {
        try (var c = RunningController.start(dir.resolve("data"))) {
            String a = c.createNode("host-a");
            String b = c.createNode("host-b");
            Verdicts v = new Verdicts(c.controller.database(), AuditLog.jdbi(), c.clock, Duration.ofSeconds(30));

            assertThat(v.recordRoutine(a, "host-a", Trust.TRUSTED, List.of(), "01")).isTrue();
            long first = verdictAt(c, a);
            assertThat(history(c, a)).isEqualTo(1);

            c.clock.advance(Duration.ofSeconds(10));
            assertThat(v.recordRoutine(a, "host-a", Trust.TRUSTED, List.of(), "02")).isFalse();
            assertThat(v.recordRoutine(b, "host-b", Trust.TRUSTED, List.of(), "03")).isTrue();
            assertThat(verdictAt(c, a)).as("not written before the batch").isEqualTo(first);
            assertThat(v.flush()).isEqualTo(1);
            assertThat(verdictAt(c, a)).isEqualTo(first + 10_000);
            assertThat(history(c, a)).as("no history row for a repeat").isEqualTo(1);
            assertThat(v.flush()).as("nothing left").isZero();

            // A verdict that changes is a security decision: on record before recordRoutine returns.
            c.clock.advance(Duration.ofSeconds(10));
            assertThat(v.recordRoutine(a, "host-a", Trust.UNTRUSTED, List.of("PCR 7"), "04")).isTrue();
            assertThat(stored(c, a)).isEqualTo("untrusted");
            assertThat(history(c, a)).isEqualTo(2);

            // A repeat waiting in the batch must not overwrite a verdict written meanwhile by someone else.
            c.clock.advance(Duration.ofSeconds(10));
            assertThat(v.recordRoutine(b, "host-b", Trust.TRUSTED, List.of(), "05")).isFalse();
            long bBefore = verdictAt(c, b);
            new Verdicts(c.controller.database(), AuditLog.jdbi(), c.clock, Duration.ofSeconds(30))
                    .record(b, "host-b", Trust.UNTRUSTED, List.of("revoked"), "");
            long bFenced = verdictAt(c, b);
            assertThat(bFenced).isGreaterThanOrEqualTo(bBefore);
            v.flush();
            assertThat(stored(c, b)).isEqualTo("untrusted");
            assertThat(verdictAt(c, b)).isEqualTo(bFenced);
            // ... and the next routine verdict of that node is recorded in full, not assumed to repeat.
            c.clock.advance(Duration.ofSeconds(10));
            assertThat(v.recordRoutine(b, "host-b", Trust.TRUSTED, List.of(), "06")).isTrue();
            assertThat(stored(c, b)).isEqualTo("trusted");
        }
    }

    @Test
    @DisplayName("a repeated verdict still gets a history row every 30th poll, written with the batch")
    void historyIsSampled() throws Exception {
        try (var c = RunningController.start(dir.resolve("data"))) {
            String a = c.createNode("host-a");
            Verdicts v = new Verdicts(c.controller.database(), AuditLog.jdbi(), c.clock, Duration.ofSeconds(30));
            int full = 0;
            for (int i = 0; i < 61; i++) {
                c.clock.advance(Duration.ofSeconds(10));
                full += v.recordRoutine(a, "host-a", Trust.TRUSTED, List.of(), "0" + i) ? 1 : 0;
                v.flush();
            }
            assertThat(full).as("full records: only the first").isEqualTo(1);
            assertThat(history(c, a)).as("history rows: the first, the 31st and the 61st poll").isEqualTo(3);
        }
    }
}
