package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Continuous attestation with simulated TPMs: a tampered PCR is caught at the next poll and the host is fenced. */
class AttestationFencingEndToEndTest {
    @TempDir Path dir;

    @Test
    @DisplayName("after a PCR extend the next poll fences the host: certificates revoked, instances moved, power off confirmed")
    void tamperedHostIsFencedAndEvacuated() throws Exception {
        try (Fleet fleet = new Fleet(dir, "127.0.0.1:0", Duration.ofMinutes(5), "fake");
             ImageServer images = new ImageServer("127.0.0.1", 0)) {
            SimulatedNode a = fleet.add("att-a", "52:54:00:a7:00:01", "52:54:00:a7:00:01");
            fleet.add("att-b", "52:54:00:a7:00:02", "52:54:00:a7:00:02");
            String sha = images.publishRandom("/os.img", 1 << 20);
            for (String n : new String[] {"att-a", "att-b"}) {
                fleet.act(n, Map.of("action", "manage"));
            }
            for (String n : new String[] {"att-a", "att-b"}) {
                fleet.awaitState(n, "manageable");
                fleet.act(n, Map.of("action", "provide"));
            }
            for (String n : new String[] {"att-a", "att-b"}) {
                fleet.awaitState(n, "available");
                fleet.act(n, Map.of("action", "deploy", "image_url", images.url("/os.img"), "image_sha256", sha));
            }
            for (String n : new String[] {"att-a", "att-b"}) {
                assertThat(fleet.awaitState(n, "active").path("state").asText()).isEqualTo("active");
                fleet.await(n, x -> fleet.api.get(NodeCommand.path(n) + "/attestations").path("current").asText()
                        .equals("trusted"), Duration.ofSeconds(30));
            }
            String aId = fleet.api.get(NodeCommand.path("att-a")).path("id").asText();
            String bId = fleet.api.get(NodeCommand.path("att-b")).path("id").asText();
            // Fill host b first so the test instance lands on a: memory decides placement.
            JsonNode ballast = fleet.api.post("/v1/instances", Map.of("name", "ballast", "cpus", 1, "memory_mb", 2048));
            JsonNode web = fleet.api.post("/v1/instances", Map.of("name", "web", "cpus", 1, "memory_mb", 1024));
            String webHost = web.path("node_id").asText();
            assertThat(webHost).isIn(aId, bId);
            String victimName = webHost.equals(aId) ? "att-a" : "att-b";
            SimulatedNode victim = webHost.equals(aId) ? a : fleet.nodes.get(1);
            String serial = fleet.api.get(NodeCommand.path(victimName) + "/certificates").path("items").get(0)
                    .path("serial").asText();

            victim.agent().simulatedTpm().orElseThrow().extend(7, new byte[32]);

            JsonNode fenced = fleet.await(victimName, n -> n.path("state").asText().equals("fenced"), Duration.ofSeconds(30));
            assertThat(fenced.path("reason").asText()).contains("REFERENCE_MISMATCH").contains("PCR 7");
            JsonNode fence = fleet.await(victimName, x -> !fleet.api.get(NodeCommand.path(victimName) + "/fences")
                    .path("items").get(0).path("status").asText().equals("running"), Duration.ofSeconds(30));
            JsonNode record = fleet.api.get(NodeCommand.path(victimName) + "/fences").path("items").get(0);
            assertThat(record.path("trigger").asText()).isEqualTo("attestation");
            assertThat(record.path("status").asText()).as(record.toString()).isEqualTo("done");
            assertThat(fleet.api.get("/v1/certificates/" + serial).path("status").asText()).isEqualTo("revoked");
            JsonNode moved = fleet.api.get("/v1/instances/web");
            assertThat(moved.path("node_id").asText()).isNotEqualTo(webHost).isNotEmpty();
            assertThat(fleet.api.get(NodeCommand.path(victimName) + "/attestations").path("current").asText())
                    .isEqualTo("untrusted");
            assertThat(ballast.path("state").asText()).isEqualTo("placed");

            // Readmission: refused while the PCR differs; after an operator accepts the new baseline (a planned
            // update), the next quote passes, readmission gives the node a new certificate, and it is manageable.
            var refused = Assertions.catchThrowableOfType(CliException.class, () ->
                    fleet.api.post(NodeCommand.path(victimName) + "/readmit", Map.of("approved_by", "alice", "reason", "x")));
            assertThat(refused.getMessage()).contains("no passing attestation");
            JsonNode accepted = fleet.api.post(NodeCommand.path(victimName) + "/baseline", Map.of("approved_by", "alice",
                    "reason", "planned firmware update"));
            assertThat(accepted.path("pcrs").asText()).contains("\"7\"");
            fleet.await(victimName, x -> fleet.api.get(NodeCommand.path(victimName) + "/attestations").path("current")
                    .asText().equals("trusted"), Duration.ofSeconds(30));
            fleet.api.post(NodeCommand.path(victimName) + "/readmit", Map.of("approved_by", "alice", "reason", "updated"));
            JsonNode back = fleet.awaitState(victimName, "manageable");
            assertThat(back.path("state").asText()).as(back.toString()).isEqualTo("manageable");
            JsonNode certs = fleet.api.get(NodeCommand.path(victimName) + "/certificates").path("items");
            assertThat(certs.findValuesAsText("status")).contains("good", "revoked");

            // The readmission holds: across the next ten polls (500 ms apart) the node stays manageable and trusted,
            // answering with its new certificate, not the revoked one a kept connection could still show.
            Thread.sleep(6_000);
            JsonNode after = fleet.api.get(NodeCommand.path(victimName));
            assertThat(after.path("state").asText()).as(after.toString()).isEqualTo("manageable");
            assertThat(fleet.api.get(NodeCommand.path(victimName) + "/attestations").path("current").asText())
                    .isEqualTo("trusted");
            assertThat(fleet.api.get(NodeCommand.path(victimName) + "/fences").path("items").size()).isEqualTo(1);
            assertThat(after.path("last_seen").asText()).isNotEmpty();

            // Enrolling again is not a way around readmission: a fenced node gets no ticket.
            fleet.api.post("/v1/nodes/" + victimName + "/fence", Map.of("reason", "test: fence again"));
            fleet.await(victimName, n -> n.path("state").asText().equals("fenced"), Duration.ofSeconds(30));
            var ticket = Assertions.catchThrowableOfType(CliException.class, () ->
                    fleet.api.post(NodeCommand.path(victimName) + "/tickets", Map.of()));
            assertThat(ticket.getMessage()).contains("readmit first");
        }
    }

    @Test
    @DisplayName("golden values set for a node group override the enrollment baseline: a host that differs is fenced")
    void groupGoldenValuesApply() throws Exception {
        try (Fleet fleet = new Fleet(dir, "127.0.0.1:0", Duration.ofMinutes(5), "fake")) {
            SimulatedNode node = fleet.add("gold-1", "52:54:00:a7:00:09", "52:54:00:a7:00:09");
            fleet.api.patch(NodeCommand.path("gold-1"), Map.of("labels", Map.of("group", "gpu", "root-device",
                    node.disk().toString())));
            fleet.act("gold-1", Map.of("action", "manage"));
            fleet.awaitState("gold-1", "manageable");
            fleet.await("gold-1", x -> fleet.api.get(NodeCommand.path("gold-1") + "/attestations").path("current")
                    .asText().equals("trusted"), Duration.ofSeconds(30));
            var bad = Assertions.catchThrowableOfType(CliException.class, () -> fleet.api.put(
                    "/v1/groups/gpu/golden", Map.of("pcrs", Map.of("7", "nothex"), "approved_by", "bob", "reason", "x")));
            assertThat(bad.getMessage()).contains("64-hex-digit");
            JsonNode set = fleet.api.put("/v1/groups/gpu/golden", Map.of("pcrs", Map.of("7", "ab".repeat(32)),
                    "approved_by", "bob", "reason", "signed firmware 2.1 measurement"));
            assertThat(set.path("pcrs").path("7").asText()).isEqualTo("ab".repeat(32));
            JsonNode fenced = fleet.await("gold-1", n -> n.path("state").asText().equals("fenced"), Duration.ofSeconds(30));
            assertThat(fenced.path("reason").asText()).contains("PCR 7").contains("abab");
        }
    }

    @Test
    @DisplayName("a host whose certificate an operator revokes is fenced at a later poll although its TPM is unchanged")
    void revokedIdentityIsDistrusted() throws Exception {
        try (Fleet fleet = new Fleet(dir, "127.0.0.1:0", Duration.ofMinutes(5), "fake")) {
            fleet.add("rev-1", "52:54:00:a7:00:0a", "52:54:00:a7:00:0a");
            fleet.act("rev-1", Map.of("action", "manage"));
            fleet.awaitState("rev-1", "manageable");
            fleet.await("rev-1", x -> fleet.api.get(NodeCommand.path("rev-1") + "/attestations").path("current")
                    .asText().equals("trusted"), Duration.ofSeconds(30));
            String serial = fleet.api.get(NodeCommand.path("rev-1") + "/certificates").path("items").get(0)
                    .path("serial").asText();

            fleet.api.post("/v1/certificates/" + serial + "/revoke", Map.of("reason", "key-compromise"));

            JsonNode fenced = fleet.await("rev-1", n -> n.path("state").asText().equals("fenced"), Duration.ofSeconds(30));
            assertThat(fenced.path("reason").asText()).contains("revoked").contains(serial);
        }
    }
}
