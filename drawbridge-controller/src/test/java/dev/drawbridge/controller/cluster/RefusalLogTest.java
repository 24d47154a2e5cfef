package dev.drawbridge.controller.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RefusalLogTest {
    @Test
    @DisplayName("a burst of refused writes logs at most the burst per window, and a later line says how many were"
            + " left out")
    void aBurstIsCappedAndTheRestIsCounted() {
        Logger logger = (Logger) LoggerFactory.getLogger("refusal-log-test");
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.start();
        logger.addAppender(seen);
        AtomicLong now = new AtomicLong();
        RefusalLog log = new RefusalLog(logger, 5, Duration.ofSeconds(10), now::get);

        for (int i = 0; i < 1000; i++) {
            log.warn("refused a write about node {}", "n" + i);
        }
        List<String> first = messages(seen);
        assertThat(first).containsExactly("refused a write about node n0", "refused a write about node n1",
                "refused a write about node n2", "refused a write about node n3", "refused a write about node n4");

        now.addAndGet(Duration.ofSeconds(9).toNanos()); // still the same window
        log.warn("refused a write about node {}", "late");
        assertThat(messages(seen)).hasSize(5);

        now.addAndGet(Duration.ofSeconds(2).toNanos()); // a new window
        log.warn("refused a write about node {}", "next");
        assertThat(messages(seen)).hasSize(7).endsWith(
                "996 more refused writes were not logged (at most 5 lines every 10 s)",
                "refused a write about node next");
        log.warn("refused a write about node {}", "after");
        assertThat(messages(seen)).hasSize(8).last().isEqualTo("refused a write about node after");
    }

    private static List<String> messages(ListAppender<ILoggingEvent> seen) {
        return seen.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
}
