package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The poll-only lifecycle with real agents over real HTTPS: manage, provide, deploy, and the ways it must fail. */
class ProvisioningEndToEndTest {
    @TempDir Path dir;

    @Test
    @DisplayName("a node goes manage -> provide -> deploy -> active, the image lands verified, and the agent is enrolled")
    void fullLifecycle() throws Exception {
        try (Fleet fleet = new Fleet(dir); ImageServer images = new ImageServer("127.0.0.1", 0)) {
            SimulatedNode node = fleet.add("e2e-1", "52:54:00:e2:e2:01", "52:54:00:e2:e2:01");
            String sha = images.publishRandom("/os.img", 3 << 20);

            fleet.act("e2e-1", Map.of("action", "manage"));
            JsonNode managed = fleet.awaitState("e2e-1", "manageable");
            assertThat(managed.path("state").asText()).as(managed.toString()).isEqualTo("manageable");
            assertThat(node.agent().status().identity()).isEqualTo("enrolled");
            assertThat(fleet.api.get(NodeCommand.path("e2e-1") + "/certificates").path("items")).hasSize(1);

            fleet.act("e2e-1", Map.of("action", "provide"));
            assertThat(fleet.awaitState("e2e-1", "available").path("state").asText()).isEqualTo("available");

            fleet.act("e2e-1", Map.of("action", "deploy", "image_url", images.url("/os.img"), "image_sha256", sha));
            JsonNode active = fleet.awaitState("e2e-1", "active");
            assertThat(active.path("state").asText()).as(active.toString()).isEqualTo("active");
            byte[] written = Arrays.copyOf(Files.readAllBytes(node.disk()), 3 << 20);
            assertThat(ImageServer.sha256(written)).isEqualTo(sha);
            assertThat(active.path("last_seen").isNull()).isFalse();

            fleet.act("e2e-1", Map.of("action", "undeploy"));
            assertThat(fleet.awaitState("e2e-1", "available").path("state").asText()).isEqualTo("available");
            assertThat(ImageServer.sha256(Arrays.copyOf(Files.readAllBytes(node.disk()), 3 << 20))).isNotEqualTo(sha);
            fleet.act("e2e-1", Map.of("action", "rescue"));
            assertThat(fleet.awaitState("e2e-1", "rescue").path("state").asText()).isEqualTo("rescue");
        }
    }

    @Test
    @DisplayName("an action the lifecycle table does not allow is refused with 409 and changes nothing")
    void invalidTransitionRefused() throws Exception {
        try (Fleet fleet = new Fleet(dir)) {
            fleet.add("e2e-order", "52:54:00:e2:e2:05", "52:54:00:e2:e2:05");
            var e = Assertions.catchThrowableOfType(CliException.class,
                    () -> fleet.act("e2e-order", Map.of("action", "deploy", "image_url", "http://127.0.0.1/x",
                            "image_sha256", "0".repeat(64))));
            assertThat(e.getMessage()).contains("discovered").contains("cannot deploy");
            assertThat(fleet.api.get(NodeCommand.path("e2e-order")).path("state").asText()).isEqualTo("discovered");
        }
    }

    @Test
    @DisplayName("an agent that stops answering is flagged unreachable after the configured number of polls")
    void silentAgentIsFlaggedUnreachable() throws Exception {
        try (Fleet fleet = new Fleet(dir)) {
            SimulatedNode node = fleet.add("e2e-gone", "52:54:00:e2:e2:03", "52:54:00:e2:e2:03");
            fleet.act("e2e-gone", Map.of("action", "manage"));
            fleet.awaitState("e2e-gone", "manageable");
            assertThat(fleet.api.get(NodeCommand.path("e2e-gone")).path("unreachable").asBoolean()).isFalse();
            node.close();
            JsonNode n = fleet.await("e2e-gone", x -> x.path("unreachable").asBoolean(), Duration.ofSeconds(30));
            assertThat(n.path("state").asText()).isEqualTo("manageable");
        }
    }

    @Test
    @DisplayName("with fencing.unreachable-after set, a silent agent is fenced by policy; by default it is only flagged")
    void unreachablePolicyFences() throws Exception {
        try (Fleet fleet = new Fleet(dir, "127.0.0.1:0", Duration.ofMinutes(5), "fake", 2)) {
            SimulatedNode node = fleet.add("e2e-policy", "52:54:00:e2:e2:06", "52:54:00:e2:e2:06");
            fleet.act("e2e-policy", Map.of("action", "manage"));
            fleet.awaitState("e2e-policy", "manageable");
            node.close();
            JsonNode n = fleet.await("e2e-policy", x -> x.path("state").asText().equals("fenced"),
                    Duration.ofSeconds(30));
            assertThat(n.path("reason").asText()).contains("agent silent");
            assertThat(fleet.api.get(NodeCommand.path("e2e-policy") + "/fences").path("items").get(0).path("trigger")
                    .asText()).isEqualTo("unreachable");
        }
    }

    @Test
    @DisplayName("a deploy that outlives its deadline sends the node to error with a reason naming the state")
    void deadlinePassed() throws Exception {
        try (Fleet fleet = new Fleet(dir, "127.0.0.1:0", Duration.ofSeconds(2));
             ImageServer images = new ImageServer("127.0.0.1", 256 * 1024)) {
            fleet.add("e2e-slow", "52:54:00:e2:e2:04", "52:54:00:e2:e2:04");
            String sha = images.publishRandom("/slow.img", 4 << 20);
            fleet.act("e2e-slow", Map.of("action", "manage"));
            fleet.awaitState("e2e-slow", "manageable");
            fleet.act("e2e-slow", Map.of("action", "provide"));
            fleet.awaitState("e2e-slow", "available");
            fleet.act("e2e-slow", Map.of("action", "deploy", "image_url", images.url("/slow.img"), "image_sha256", sha));
            JsonNode n = fleet.awaitState("e2e-slow", "error");
            assertThat(n.path("state").asText()).isEqualTo("error");
            assertThat(n.path("reason").asText()).contains("deadline passed in state deploying");
        }
    }

    @Test
    @DisplayName("a MAC mismatch sends the node to error naming the MAC, and the agent never receives node info")
    void macMismatch() throws Exception {
        try (Fleet fleet = new Fleet(dir)) {
            fleet.add("e2e-mac", "52:54:00:aa:aa:aa", "52:54:00:bb:bb:bb");
            fleet.act("e2e-mac", Map.of("action", "manage"));
            JsonNode n = fleet.awaitState("e2e-mac", "error");
            assertThat(n.path("state").asText()).isEqualTo("error");
            assertThat(n.path("reason").asText()).contains("52:54:00:aa:aa:aa").contains("hardware mismatch");
            try (var files = Files.walk(dir.resolve("e2e-mac"))) {
                assertThat(files.map(p -> p.getFileName().toString())).doesNotContain("node-info.json");
            }
            assertThat(fleet.api.get(NodeCommand.path("e2e-mac") + "/certificates").path("items")).isEmpty();
        }
    }

    @Test
    @DisplayName("a corrupted image sends the node to error; manage brings it back with its identity, then provide -> available")
    void corruptedImage() throws Exception {
        try (Fleet fleet = new Fleet(dir); ImageServer images = new ImageServer("127.0.0.1", 0)) {
            fleet.add("e2e-bad", "52:54:00:e2:e2:02", "52:54:00:e2:e2:02");
            images.publishRandom("/os.img", 1 << 20);
            fleet.act("e2e-bad", Map.of("action", "manage"));
            fleet.awaitState("e2e-bad", "manageable");
            fleet.act("e2e-bad", Map.of("action", "provide"));
            fleet.awaitState("e2e-bad", "available");
            fleet.act("e2e-bad", Map.of("action", "deploy", "image_url", images.url("/os.img"),
                    "image_sha256", "0".repeat(64)));
            JsonNode n = fleet.awaitState("e2e-bad", "error");
            assertThat(n.path("state").asText()).isEqualTo("error");
            assertThat(n.path("reason").asText()).contains("checksum mismatch");
            String serial = fleet.api.get(NodeCommand.path("e2e-bad") + "/certificates").path("items").get(0)
                    .path("serial").asText();

            // error is not a dead end: manage checks the hardware again and keeps the enrolled identity.
            fleet.act("e2e-bad", Map.of("action", "manage"));
            assertThat(fleet.awaitState("e2e-bad", "manageable").path("state").asText()).isEqualTo("manageable");
            JsonNode certs = fleet.api.get(NodeCommand.path("e2e-bad") + "/certificates").path("items");
            assertThat(certs.size()).as("no new certificate: " + certs).isEqualTo(1);
            assertThat(certs.get(0).path("serial").asText()).isEqualTo(serial);
            fleet.act("e2e-bad", Map.of("action", "provide"));
            assertThat(fleet.awaitState("e2e-bad", "available").path("state").asText()).isEqualTo("available");
        }
    }

    @Test
    @DisplayName("with agent-api.enabled false the callback API answers 403")
    void callbackApiDisabled() throws Exception {
        try (Fleet fleet = new Fleet(dir)) {
            var http = HttpClient.newBuilder().sslContext(ApiClient.trusting(
                    Files.readString(fleet.controller.dataDir().file("ca.pem")))).build();
            for (String path : new String[] {"/v1/agent/heartbeat", "/v1/agent/lookup"}) {
                var res = http.send(HttpRequest.newBuilder(URI.create(fleet.controller.url() + path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(res.statusCode()).as(path).isEqualTo(403);
                assertThat(res.body()).contains("agent-api-disabled");
            }
        }
    }
}
