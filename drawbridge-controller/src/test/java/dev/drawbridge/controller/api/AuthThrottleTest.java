package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failed authentications are counted, summarised in the audit trail and throttled per source; labels stay bounded. */
class AuthThrottleTest {
    @TempDir Path dir;

    @Test
    @DisplayName("after the limit of wrong tokens an address gets 429 with Retry-After, even with the right token, until the minute ends")
    void repeatedWrongTokensAreThrottled() throws Exception {
        try (var c = RunningController.start(dir.resolve("data"), cfg -> cfg.withApi(cfg.api().withAuthFailuresPerMinute(5)))) {
            for (int i = 0; i < 5; i++) {
                assertThat(c.call("GET", "/v1/nodes", null, null, "Authorization", "Bearer wrong-" + i).status())
                        .isEqualTo(401);
            }
            var throttled = c.call("GET", "/v1/nodes", null, null, "Authorization", "Bearer wrong-again");
            assertThat(throttled.status()).isEqualTo(429);
            assertThat(throttled.problemType()).isEqualTo("too-many-failures");
            assertThat(Long.parseLong(throttled.header("Retry-After"))).isBetween(1L, 61L);
            assertThat(c.call("GET", "/v1/nodes", null, null, "Authorization", "Bearer " + c.token).status())
                    .as("a guess that happens to be right must not be told apart while throttled").isEqualTo(429);
            assertThat(c.call("GET", "/v1/ca/root", null, null).status()).as("the CA's documents stay public")
                    .isEqualTo(200);
            assertThat(c.call("POST", "/v1/enroll", "application/json", Json.bytes(Map.of("ticket", "x", "csr", "y")))
                    .status()).as("enrollment from that address waits too").isEqualTo(429);

            c.clock.advance(Duration.ofSeconds(61));
            assertThat(c.call("GET", "/v1/nodes", null, null, "Authorization", "Bearer " + c.token).status())
                    .isEqualTo(200);
            String metrics = c.call("GET", "/metrics", null, null).text();
            assertThat(metrics).contains("drawbridge_auth_failures_total{kind=\"bearer\"} 5.0")
                    .contains("drawbridge_auth_throttled_total");
        }
    }

    @Test
    @DisplayName("made-up enrollment tickets add no audit row each: failures are summarised per source")
    void madeUpTicketsAreSummarisedNotAuditedOneByOne() {
        var failures = new AuthFailures(new SimpleMeterRegistry(),
                Clock.systemUTC(), 30);
        for (int i = 0; i < 300; i++) {
            failures.failed("192.0.2.7", "ticket");
        }
        failures.failed("192.0.2.8", "bearer");
        var summaries = failures.drain();
        assertThat(summaries).hasSize(2);
        assertThat(summaries).anySatisfy(s -> {
            assertThat(s.source()).isEqualTo("192.0.2.7");
            assertThat(s.kinds()).containsEntry("ticket", 300);
            assertThat(s.throttled()).isTrue();
        });
        assertThat(failures.retryAfter("192.0.2.7")).isPresent();
        assertThat(failures.retryAfter("192.0.2.8")).isEmpty();
        assertThat(failures.drain()).as("nothing new to summarise").isEmpty();
    }

    @Test
    @DisplayName("unknown HTTP methods and paths do not create new metric series")
    void metricLabelsAreBounded() throws Exception {
        try (var c = RunningController.start(dir.resolve("data"))) {
            for (String m : new String[] {"ZZ123", "ZZ124", "FOO"}) {
                c.call(m, "/v1/nodes/" + m, null, null, "Authorization", "Bearer " + c.token);
            }
            String metrics = c.call("GET", "/metrics", null, null).text();
            assertThat(metrics).doesNotContain("ZZ123").doesNotContain("ZZ124").doesNotContain("method=\"FOO\"");
            assertThat(ApiServer.methodLabel("ZZ123")).isEqualTo("other");
            assertThat(ApiServer.methodLabel("GET")).isEqualTo("GET");
        }
    }
}
