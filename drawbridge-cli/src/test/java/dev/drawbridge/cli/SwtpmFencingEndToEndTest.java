package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.testkit.IpmiSim;
import dev.drawbridge.testkit.OpenSsl;
import dev.drawbridge.testkit.Swtpm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attestation and fencing with real peers only: the agent's quotes come from swtpm through tpm2-tools, the
 * host's BMC is ipmi_sim driven by ipmitool, and revocation is checked with openssl ocsp.
 */
class SwtpmFencingEndToEndTest {
    @TempDir Path dir;

    @Test
    @DisplayName("tpm2_pcrextend on a swtpm-backed host fences it at the next poll: OCSP revoked, instance moved, ipmi_sim off")
    void realTpmRealBmc() throws Exception {
        try (Swtpm tpm = Swtpm.start(); IpmiSim bmc = IpmiSim.start();
             ImageServer images = new ImageServer("127.0.0.1", 0)) {
            Path pw = Files.writeString(dir.resolve("bmc.pw"), bmc.password());
            try (Fleet fleet = new Fleet(dir, "127.0.0.1:0", Duration.ofMinutes(5), "ipmitool", 0,
                    cfg -> cfg.withFencing(cfg.fencing().withBmc(bmc.user(), pw.toString(),
                            Integer.toString(bmc.cipherSuite()))))) {
                fleet.addWithTpm("real-1", "52:54:00:5e:00:01", tpm.tcti(), 8L << 30, bmc.host() + ":" + bmc.port());
                fleet.add("sim-2", "52:54:00:5e:00:02", "52:54:00:5e:00:02");
                String sha = images.publishRandom("/os.img", 1 << 20);
                for (String n : new String[] {"real-1", "sim-2"}) {
                    fleet.act(n, Map.of("action", "manage"));
                    assertThat(fleet.awaitState(n, "manageable").path("state").asText()).isEqualTo("manageable");
                    fleet.act(n, Map.of("action", "provide"));
                    fleet.awaitState(n, "available");
                    fleet.act(n, Map.of("action", "deploy", "image_url", images.url("/os.img"), "image_sha256", sha));
                    assertThat(fleet.awaitState(n, "active").path("state").asText()).isEqualTo("active");
                    fleet.await(n, x -> fleet.api.get(NodeCommand.path(n) + "/attestations").path("current").asText()
                            .equals("trusted"), Duration.ofSeconds(60));
                }
                assertThat(fleet.api.get(NodeCommand.path("real-1") + "/attestations").path("ak_bound_to_ek").asBoolean())
                        .as("the swtpm AK was bound to its EK by credential activation").isTrue();
                assertThat(fleet.api.get(NodeCommand.path("sim-2") + "/attestations").path("ak_bound_to_ek").asBoolean())
                        .as("a software TPM has no EK to bind to").isFalse();
                JsonNode web = fleet.api.post("/v1/instances", Map.of("name", "web", "cpus", 1, "memory_mb", 1024));
                String realId = fleet.api.get(NodeCommand.path("real-1")).path("id").asText();
                assertThat(web.path("node_id").asText()).isEqualTo(realId);
                JsonNode cert = fleet.api.get(NodeCommand.path("real-1") + "/certificates").path("items").get(0);
                Path certFile = Files.writeString(dir.resolve("real-1.pem"), cert.path("certificate").asText());
                String ca = fleet.controller.dataDir().file("ca.pem").toString();
                assertThat(ocsp(fleet, certFile, ca)).contains(": good");
                assertThat(bmc.powerState()).isEqualTo(IpmiSim.Power.ON);

                tpm.tpm2("tpm2_pcrextend", "7:sha256=" + "ab".repeat(32));

                JsonNode fenced = fleet.await("real-1", n -> n.path("state").asText().equals("fenced"), Duration.ofSeconds(60));
                assertThat(fenced.path("reason").asText()).contains("REFERENCE_MISMATCH").contains("PCR 7");
                fleet.await("real-1", x -> !fleet.api.get(NodeCommand.path("real-1") + "/fences").path("items").get(0)
                        .path("status").asText().equals("running"), Duration.ofSeconds(60));
                JsonNode fence = fleet.api.get(NodeCommand.path("real-1") + "/fences").path("items").get(0);
                assertThat(fence.path("status").asText()).as(fence.toString()).isEqualTo("done");
                assertThat(ocsp(fleet, certFile, ca)).contains(": revoked");
                assertThat(fleet.api.get("/v1/instances/web").path("node_id").asText())
                        .isEqualTo(fleet.api.get(NodeCommand.path("sim-2")).path("id").asText());
                assertThat(bmc.powerState()).isEqualTo(IpmiSim.Power.OFF);
            }
        }
    }

    private String ocsp(Fleet fleet, Path cert, String ca) throws Exception {
        Path req = dir.resolve("req-" + System.nanoTime() + ".der");
        Path resp = dir.resolve("resp-" + System.nanoTime() + ".der");
        OpenSsl.runOk(dir, "ocsp", "-issuer", ca, "-cert", cert.toString(), "-reqout", req.toString(), "-no_nonce");
        Files.write(resp, fleet.api.postBytes("/v1/ca/ocsp", "application/ocsp-request", Files.readAllBytes(req)));
        var r = OpenSsl.run(dir, "ocsp", "-respin", resp.toString(), "-issuer", ca, "-CAfile", ca, "-cert",
                cert.toString(), "-no_nonce");
        assertThat(r.stderr()).contains("Response verify OK");
        return r.stdout();
    }
}
