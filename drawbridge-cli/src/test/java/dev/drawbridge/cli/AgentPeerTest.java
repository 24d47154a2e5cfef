package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.agent.AgentConfig;
import dev.drawbridge.agent.PeerOutcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A controller and an agent in the {@code chassis-bmc} role peer both ways: the agent, once enrolled, registers at
 * the controller with its node certificate and calls the controller's peer API; the controller adds the agent as a
 * peer and calls the agent's. Both over mutual TLS with certificate-bound tokens. When the node is fenced, the
 * agent's next call is refused and stays refused.
 */
class AgentPeerTest {
    @TempDir Path dir;

    @Test
    @DisplayName("a chassis BMC and its controller call each other's peer API; after a fence the BMC is refused")
    void bothWays() throws Exception {
        try (Fleet fleet = new Fleet(dir)) {
            String name = "bmc-1";
            String mac = "52:54:00:b0:00:01";
            fleet.api.post("/v1/nodes", Map.of("name", name, "macs", List.of(mac)));
            String payload = fleet.api.post(NodeCommand.path(name) + "/payload", Map.of("mode", "poll"))
                    .path("payload").asText();
            SimulatedNode node = SimulatedNode.start(dir.resolve(name), "127.0.0.1", payload,
                    SimulatedNode.profile(mac), "software", "", c -> c.withPeering(new AgentConfig.Peering("chassis-bmc",
                            Optional.empty(), Optional.of(fleet.controller.url()), Duration.ofHours(1))));
            fleet.nodes.add(node);
            fleet.api.patch(NodeCommand.path(name), Map.of("agent_address", node.address(), "labels",
                    Map.of("root-device", node.disk().toString())));

            assertThat(node.agent().peerCall(true).orElseThrow().status()).as("before enrollment")
                    .isEqualTo("waiting");
            fleet.act(name, Map.of("action", "manage"));
            fleet.awaitState(name, "manageable");

            // The agent calls the controller.
            PeerOutcome call = node.agent().peerCall(true).orElseThrow();
            assertThat(call.status()).as(call.detail()).isEqualTo("ok");
            assertThat(call.answers().get("identity").toString()).contains("\"role\":\"controller\"");
            JsonNode clients = fleet.api.get("/v1/oauth/clients");
            assertThat(clients.toString()).contains("chassis-bmc " + name);

            // The controller calls the agent: its CA issued the agent's certificate.
            JsonNode added = fleet.api.post("/v1/peers", Map.of("url", "https://" + node.address(), "ca",
                    Files.readString(fleet.controller.dataDir().root().resolve("ca.pem"))));
            assertThat(added.path("last_status").asText()).as(added.toString()).isEqualTo("ok");
            assertThat(added.path("peer_role").asText()).isEqualTo("chassis-bmc");
            JsonNode answers = fleet.api.post("/v1/peers/" + added.path("id").asText() + "/call", Map.of())
                    .path("answers");
            assertThat(answers.path("identity").path("node").asText()).isEqualTo(name);
            assertThat(answers.path("health").path("enrolled").asBoolean()).isTrue();

            // A fence disables the node's clients: the BMC's next calls are refused, and it does not re-register.
            fleet.api.post("/v1/nodes/" + name + "/fence", Map.of("reason", "test: compromised BMC"));
            fleet.await(name, n -> n.path("state").asText().equals("fenced"), Duration.ofSeconds(30));
            for (int i = 0; i < 3; i++) {
                PeerOutcome refused = node.agent().peerCall(true).orElseThrow();
                assertThat(refused.status()).isEqualTo("refused");
                assertThat(refused.detail()).contains("invalid_client");
            }
            assertThat(fleet.api.get("/v1/oauth/clients").toString().split("chassis-bmc " + name, -1).length - 1)
                    .as("one client for the BMC, still disabled").isEqualTo(1);
        }
    }
}
