package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two controllers, each with its own CA: one registers with the other by DCR, obtains tokens by client
 * credentials and calls its peer API; when the other side disables it, the next call is refused; re-approved, it
 * works again; removed, its client at the peer is gone.
 */
class PeersTest {
    @Test
    @DisplayName("a controller registers with a peer, calls it, is refused once disabled there, and removes it")
    void peering(@TempDir Path dir) throws Exception {
        // The test clocks stand still: b starts first, so a's assertions are not older than b's start (during its
        // first minutes a server takes only assertions issued after it started).
        try (RunningController b = RunningController.start(dir.resolve("b"));
             RunningController a = RunningController.start(dir.resolve("a"))) {
            String bUrl = b.controller.url();
            RunningController.Answer added = a.json("POST", "/v1/peers", Map.of("url", bUrl, "ca",
                    Files.readString(dir.resolve("b").resolve("ca.pem"))));
            assertThat(added.status()).as(added.text()).isEqualTo(201);
            JsonNode peer = added.json();
            assertThat(peer.path("last_status").asText()).isEqualTo("ok");
            String id = peer.path("id").asText();
            String clientAtB = peer.path("client_id").asText();
            assertThat(peer.path("peer_id").asText()).startsWith("ctl-");

            RunningController.Answer call = a.json("POST", "/v1/peers/" + id + "/call", Map.of());
            assertThat(call.status()).as(call.text()).isEqualTo(200);
            JsonNode identity = call.json().path("answers").path("identity");
            assertThat(identity.path("role").asText()).isEqualTo("controller");
            assertThat(identity.path("you").asText()).isEqualTo(clientAtB);
            assertThat(identity.path("versions").toString()).contains("1");
            assertThat(call.json().path("answers").path("health").path("status").asText()).isEqualTo("ok");

            assertThat(b.json("POST", "/v1/oauth/clients/" + clientAtB + "/disable", Map.of()).status()).isEqualTo(200);
            RunningController.Answer refused = a.json("POST", "/v1/peers/" + id + "/call", Map.of());
            assertThat(refused.status()).isEqualTo(502);
            assertThat(refused.text()).contains("invalid_client");
            assertThat(a.get("/v1/peers").json().path("items").path(0).path("last_status").asText())
                    .isEqualTo("refused");

            assertThat(b.json("POST", "/v1/oauth/clients/" + clientAtB + "/approve", Map.of()).status()).isEqualTo(200);
            // Tokens from the second of the disabling stay refused; the next second's work.
            b.clock.advance(Duration.ofSeconds(2));
            assertThat(a.json("POST", "/v1/peers/" + id + "/call", Map.of()).status()).isEqualTo(200);

            RunningController.Answer removed = a.call("DELETE", "/v1/peers/" + id, null, null, "Authorization",
                    "Bearer " + a.token);
            assertThat(removed.status()).as(removed.text()).isEqualTo(200);
            assertThat(removed.json().path("problem").isNull()).isTrue();
            assertThat(a.get("/v1/peers").json().path("items")).isEmpty();
            assertThat(b.get("/v1/oauth/clients").text()).doesNotContain(clientAtB);

            RunningController.Answer bad = a.json("POST", "/v1/peers", Map.of("url", "http://nope", "ca", "x"));
            assertThat(bad.status()).isEqualTo(400);
            assertThat(a.json("POST", "/v1/peers/no-such/call", Map.of()).status()).isEqualTo(404);
        }
    }
}
