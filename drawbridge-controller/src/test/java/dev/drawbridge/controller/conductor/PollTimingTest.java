package dev.drawbridge.controller.conductor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.controller.config.ConductorConfig;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's timing on a made-up clock (no sockets, no sleeping): defaults of 10 s polls with 20 % jitter,
 * 500 ms for busy nodes, and backoff doubling up to 5 minutes.
 */
class PollTimingTest {
    private static final ConductorConfig CFG = ConductorConfig.defaults();
    private static final Instant T0 = Instant.parse("2026-12-06T12:00:00Z");

    private double draw = 0.5;
    private final PollTiming timing = new PollTiming(CFG, () -> draw);

    @Test
    @DisplayName("a node never polled is due at once; once answered it is due again one interval later")
    void intervals() {
        assertThat(timing.isDue("n", T0)).isTrue();
        assertThat(timing.dueSince("n")).isEmpty();
        timing.answered("n", true, T0);
        assertThat(timing.isDue("n", T0.plusMillis(499))).isFalse();
        assertThat(timing.isDue("n", T0.plusMillis(500))).as("busy: 500 ms").isTrue();
        assertThat(timing.dueSince("n")).contains(T0.plusMillis(500));
        timing.answered("n", false, T0);
        assertThat(timing.dueSince("n")).as("settled, jitter draw in the middle: exactly 10 s")
                .contains(T0.plusSeconds(10));
    }

    @Test
    @DisplayName("jitter spreads settled polls by at most 20 % either way")
    void jitterBounds() {
        draw = 0.0;
        timing.answered("n", false, T0);
        assertThat(timing.dueSince("n")).contains(T0.plusSeconds(8));
        draw = 0.999_999;
        timing.answered("n", false, T0);
        assertThat(Duration.between(T0, timing.dueSince("n").orElseThrow())).isBetween(Duration.ofMillis(11_999),
                Duration.ofSeconds(12));
    }

    @Test
    @DisplayName("a silent agent backs off by doubling, capped at max-backoff; busy nodes from the busy interval")
    void backoff() {
        long[] settled = new long[8];
        for (int i = 0; i < settled.length; i++) {
            assertThat(timing.missed("s", false, T0)).isEqualTo(i + 1);
            settled[i] = Duration.between(T0, timing.dueSince("s").orElseThrow()).toSeconds();
        }
        assertThat(settled).containsExactly(20, 40, 80, 160, 300, 300, 300, 300);
        long[] busy = new long[5];
        for (int i = 0; i < busy.length; i++) {
            timing.missed("b", true, T0);
            busy[i] = Duration.between(T0, timing.dueSince("b").orElseThrow()).toMillis();
        }
        assertThat(busy).as("busy: 500 ms doubled, until the settled backoff passes the cap")
                .containsExactly(1_000, 2_000, 4_000, 8_000, 300_000);
    }

    @Test
    @DisplayName("an answer or a wake forgets the misses; a failure of ours retries after one interval")
    void forgetting() {
        timing.missed("n", false, T0);
        timing.missed("n", false, T0);
        timing.answered("n", false, T0);
        assertThat(timing.missed("n", false, T0)).as("counting starts again after an answer").isEqualTo(1);
        timing.wake("n");
        assertThat(timing.isDue("n", T0)).as("woken: due at once").isTrue();
        assertThat(timing.missed("n", false, T0)).isEqualTo(1);
        timing.failed("n", T0);
        assertThat(timing.dueSince("n")).contains(T0.plusSeconds(10));
    }

    @Test
    @DisplayName("the due queue: a node comes up once when its time comes, a slot for a time it no longer has is"
            + " dropped, a node with no time yet comes up at once, a woken node at the next look, and one handed"
            + " back comes up again")
    void theDueQueue() {
        timing.arrived("new"); // never polled: due at once
        timing.answered("a", false, T0); // due at T0 + 10 s
        timing.answered("b", true, T0); // due at T0 + 500 ms
        assertThat(timing.due(T0)).containsExactly("new");
        assertThat(timing.due(T0)).as("taken off the queue").isEmpty();
        assertThat(timing.due(T0.plusMillis(500))).containsExactly("b");
        // a answers early (busy now): its slot for T0 + 10 s is stale and must not bring it up then.
        timing.answered("a", true, T0.plusSeconds(1));
        assertThat(timing.due(T0.plusMillis(1499))).isEmpty();
        assertThat(timing.due(T0.plusMillis(1500))).containsExactly("a");
        assertThat(timing.due(T0.plusSeconds(11))).as("the stale slot of a is dropped").isEmpty();
        // Woken: at once, whatever its time was.
        timing.answered("c", false, T0);
        timing.wake("c");
        assertThat(timing.due(T0)).containsExactly("c");
        // Handed back (no permit free): it comes up again at the next look, once, even if handed back twice.
        timing.arrived("c");
        timing.arrived("c");
        assertThat(timing.due(T0)).containsExactly("c");
        assertThat(timing.due(T0.plusSeconds(60))).isEmpty();
        assertThat(timing.queued()).isZero();
        // A time between two milliseconds comes up only once it is due, never a fraction early (then dropped).
        Instant odd = T0.plusNanos(700_000);
        timing.answered("d", true, odd.minusMillis(500));
        assertThat(timing.due(T0.plusNanos(300_000))).isEmpty();
        assertThat(timing.isDue("d", T0.plusNanos(300_000))).isFalse();
        assertThat(timing.due(T0.plusMillis(1))).containsExactly("d");
    }
}
