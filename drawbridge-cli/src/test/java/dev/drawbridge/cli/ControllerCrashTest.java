package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kill -9} of the controller in the middle of a deploy: the restarted controller resumes the node. */
class ControllerCrashTest {
    @TempDir Path dir;

    private static JsonNode await(ApiClient api, String name, Predicate<JsonNode> done) throws InterruptedException {
        Instant end = Instant.now().plus(Duration.ofSeconds(90));
        JsonNode n = api.get(NodeCommand.path(name));
        while (!done.test(n)) {
            if (Instant.now().isAfter(end) || n.path("state").asText().equals("error")) {
                throw new AssertionError("gave up waiting for " + name + ": " + n);
            }
            Thread.sleep(100);
            n = api.get(NodeCommand.path(name));
        }
        return n;
    }

    @Test
    @DisplayName("a controller killed with SIGKILL during a deploy resumes it after restart and the node becomes active")
    void resumesDeployAfterKill() throws Exception {
        Path data = dir.resolve("ctl");
        Path log = dir.resolve("controller.log");
        ControllerProcess controller = ControllerProcess.start(data, log, Map.of());
        try (ImageServer images = new ImageServer("127.0.0.1", 1L << 20)) {
            ApiClient api = ApiClient.from(data, Map.of());
            api.post("/v1/nodes", Map.of("name", "crash-1", "macs", List.of("52:54:00:cc:00:01")));
            String payload = api.post(NodeCommand.path("crash-1") + "/payload", Map.of()).path("payload").asText();
            try (SimulatedNode node = SimulatedNode.start(dir.resolve("crash-1"), "127.0.0.1", payload,
                    SimulatedNode.profile("52:54:00:cc:00:01"))) {
                api.patch(NodeCommand.path("crash-1"), Map.of("agent_address", node.address(),
                        "labels", Map.of("root-device", node.disk().toString())));
                api.post(NodeCommand.path("crash-1") + "/actions", Map.of("action", "manage"));
                await(api, "crash-1", n -> n.path("state").asText().equals("manageable"));
                api.post(NodeCommand.path("crash-1") + "/actions", Map.of("action", "provide"));
                await(api, "crash-1", n -> n.path("state").asText().equals("available"));
                String sha = images.publishRandom("/slow.img", 4 << 20);
                api.post(NodeCommand.path("crash-1") + "/actions", Map.of("action", "deploy",
                        "image_url", images.url("/slow.img"), "image_sha256", sha));
                await(api, "crash-1", n -> n.path("progress").path("done").asLong() > 0);

                controller.kill();
                controller = ControllerProcess.start(data, log, Map.of());
                ApiClient again = ApiClient.from(data, Map.of());
                assertThat(again.get(NodeCommand.path("crash-1")).path("state").asText()).isEqualTo("deploying");

                JsonNode done = await(again, "crash-1", n -> n.path("state").asText().equals("active"));
                assertThat(done.path("reason").isNull()).isTrue();
                byte[] written = Arrays.copyOf(Files.readAllBytes(node.disk()), 4 << 20);
                assertThat(ImageServer.sha256(written)).isEqualTo(sha);
            }
        } finally {
            controller.close();
        }
    }
}
