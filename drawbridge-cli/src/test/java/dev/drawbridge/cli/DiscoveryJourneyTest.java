package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.config.DiscoveryConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journey through a key change that is not a compromise: an agent is discovered with the key it makes at
 * start, enrolled (its key changes to the one in its certificate, which the conductor pins), and announces the new
 * key; discovery follows it without a flag, and it stays matched through the polls that follow.
 */
class DiscoveryJourneyTest {
    @TempDir Path dir;

    @Test
    @DisplayName("discovered -> enrolled (new key, pinned) -> still matched and never flagged over the next polls")
    void enrollmentChangesTheKeyWithoutAFlag() throws Exception {
        try (Fleet fleet = new Fleet(dir, "127.0.0.1:0", Duration.ofMinutes(60), "none", 0, cfg -> cfg.withDiscovery(
                new DiscoveryConfig(true, List.of("127.0.0.1"), true, 4096, new DiscoveryConfig.AutoEnroll(false,
                        List.of(), List.of()))))) {
            String mac = "52:54:00:dd:10:01";
            fleet.api.post("/v1/nodes", Map.of("name", "disc-1", "macs", List.of(mac)));
            String id = fleet.api.get(NodeCommand.path("disc-1")).path("id").asText();
            String payload = fleet.api.post(NodeCommand.path("disc-1") + "/payload", Map.of()).path("payload").asText();
            SimulatedNode node = SimulatedNode.start(dir.resolve("disc-1"), "127.0.0.1", payload,
                    SimulatedNode.profile(mac), "software", "", c -> c.withAnnounce(List.of("127.0.0.1")));
            fleet.nodes.add(node);
            fleet.api.patch(NodeCommand.path("disc-1"), Map.of("agent_address", node.address(), "labels",
                    Map.of("root-device", node.disk().toString())));

            JsonNode first = awaitDevice(fleet, id, d -> d.path("node").isTextual());
            assertThat(first.path("fingerprint").asText()).isEqualTo(node.agent().status().tlsFingerprint());
            assertThat(first.path("matched_by").asText()).isEqualTo("id");

            fleet.act("disc-1", Map.of("action", "manage"));
            fleet.awaitState("disc-1", "manageable");
            String enrolledKey = node.agent().status().tlsFingerprint();
            assertThat(enrolledKey).isNotEqualTo(first.path("fingerprint").asText());
            JsonNode after = awaitDevice(fleet, id, d -> d.path("fingerprint").asText().equals(enrolledKey));
            assertThat(after.path("flagged").isNull()).as(after.toString()).isTrue();
            assertThat(after.path("node").asText()).isEqualTo("disc-1");

            // The next polls (0.5 s apart) change nothing about it.
            Thread.sleep(5_000);
            JsonNode later = awaitDevice(fleet, id, d -> true);
            assertThat(later.path("flagged").isNull()).isTrue();
            assertThat(later.path("fingerprint").asText()).isEqualTo(enrolledKey);
            assertThat(fleet.api.get("/v1/events?limit=500").toString())
                    .doesNotContain("discovery.fingerprint-changed");
        }
    }

    static JsonNode awaitDevice(Fleet fleet, String id, Predicate<JsonNode> done) throws Exception {
        Instant end = Instant.now().plus(Duration.ofSeconds(40));
        JsonNode last = null;
        while (Instant.now().isBefore(end)) {
            for (JsonNode d : fleet.api.get("/v1/discovered").path("items")) {
                if (d.path("id").asText().equals(id)) {
                    last = d;
                    if (done.test(d)) {
                        return d;
                    }
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("device " + id + " not as expected within 40 s; last: " + last);
    }
}
