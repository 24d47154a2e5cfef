package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.protocol.Commands;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reply lost on the way back (a timeout under load) must not break enrollment: the agent installed its new
 * certificate, the conductor never heard so, and the next attempt finds the agent already serving exactly the
 * certificate it was issued.
 */
class LostAnswerTest {
    @TempDir Path dir;

    @Test
    @DisplayName("when the answer to the certificate install is lost, the node still becomes manageable with one "
            + "certificate, not an error or a second enrollment")
    void lostInstallAnswerIsRecognised() throws Exception {
        try (Fleet fleet = new Fleet(dir);
             FleetNode agent = start(fleet, "lost-1", "52:54:00:4b:00:01")) {
            agent.faults().loseAnswerTo(Commands.IDENTITY_INSTALL_CERTIFICATE);
            fleet.act("lost-1", Map.of("action", "manage"));

            JsonNode node = fleet.awaitState("lost-1", "manageable");

            assertThat(node.path("state").asText()).as(node.toString()).isEqualTo("manageable");
            assertThat(agent.faults().lost()).as("the install answer was really lost").isEqualTo(1);
            JsonNode certs = fleet.api.get(NodeCommand.path("lost-1") + "/certificates").path("items");
            assertThat(certs).as(certs.toString()).hasSize(1);
            assertThat(certs.get(0).path("status").asText()).isEqualTo("good");
        }
    }

    @Test
    @DisplayName("a renewal whose answer is lost is sent again and renews once, with the same key")
    void aLostRenewalAnswerRenewsOnce() throws Exception {
        try (Fleet fleet = new Fleet(dir, "127.0.0.1:0", Duration.ofMinutes(60), "none", 0,
                c -> c.withCa(c.ca().withLifetimes(Duration.ofSeconds(30), c.ca().controllerLifetime())));
             FleetNode agent = start(fleet, "renew-1", "52:54:00:4b:00:02")) {
            fleet.act("renew-1", Map.of("action", "manage"));
            fleet.awaitState("renew-1", "manageable");
            agent.faults().loseAnswerTo(Commands.IDENTITY_CREATE_CSR);

            fleet.await("renew-1", n -> fleet.api.get(NodeCommand.path("renew-1") + "/certificates")
                    .path("items").size() >= 2, Duration.ofSeconds(60));

            assertThat(agent.faults().lost()).as("the renewal's CSR answer was really lost").isEqualTo(1);
            JsonNode items = fleet.api.get(NodeCommand.path("renew-1") + "/certificates").path("items");
            assertThat(items.size()).as("one renewal, not two: " + items).isEqualTo(2);
            assertThat(items.findValuesAsText("status")).containsOnly("good");
            // The counter moves once the renewed certificate is pinned, a moment after the CA stored it.
            java.util.regex.Pattern renewed = java.util.regex.Pattern.compile(
                    "drawbridge_certificate_renewals_total(\\{[^}]*})? [1-9]");
            long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
            String metrics = new String(fleet.api.getBytes("/metrics"), StandardCharsets.UTF_8);
            while (!renewed.matcher(metrics).find() && System.nanoTime() < end) {
                Thread.sleep(100);
                metrics = new String(fleet.api.getBytes("/metrics"), StandardCharsets.UTF_8);
            }
            assertThat(metrics).containsPattern(renewed);
            assertThat(fleet.api.get(NodeCommand.path("renew-1")).path("state").asText()).isEqualTo("manageable");
        }
    }

    private static FleetNode start(Fleet fleet, String name, String mac) {
        fleet.api.post("/v1/nodes", Map.of("name", name, "macs", List.of(mac)));
        String payload = fleet.api.post(NodeCommand.path(name) + "/payload", Map.of("mode", "poll")).path("payload")
                .asText();
        FleetNode agent = FleetNode.start(fleet.dir.resolve(name), name, "127.0.0.1", payload,
                SimulatedNode.profile(mac));
        fleet.api.patch(NodeCommand.path(name), Map.of("agent_address", agent.address(),
                "labels", Map.of("root-device", agent.disk().toString())));
        return agent;
    }
}
