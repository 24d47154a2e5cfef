package dev.drawbridge.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.protocol.HardwareInfo;
import dev.drawbridge.protocol.TicketProof;
import dev.drawbridge.protocol.Wire;
import dev.drawbridge.testkit.OpenSsl;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentApiTest {
    @TempDir
    Path tmp;
    TestPki pki;
    Agent agent;
    AgentClient client;

    @BeforeEach
    void start() throws Exception {
        pki = new TestPki(tmp);
        HardwareInfo hw = new HardwareInfo(List.of(new HardwareInfo.Nic("eth0", "52:54:00:12:34:56")), "uuid-1",
                "SER1", 4, 8L << 30, List.of(new HardwareInfo.Disk("vda", 20L << 30)));
        Path profile = pki.write("hw.json", Wire.JSON.writeValueAsString(hw));
        agent = Agent.start(AgentConfig.of(tmp.resolve("data"), pki.payloadFile(pki.payloadFields("n1")))
                .withListen("127.0.0.1:0").withHardwareProfile(profile));
        client = new AgentClient(agent.port(), pki.client(Optional.of(Profile.CONTROLLER)));
    }

    @AfterEach
    void stop() {
        agent.close();
    }

    @Test
    void theAgentApiSpeaksTls13Only() {
        String at = "127.0.0.1:" + agent.port();
        var old = OpenSsl.run(tmp, "s_client", "-connect", at, "-brief", "-tls1_2");
        assertThat(old.stderr()).doesNotContain("Protocol version: TLSv1.2");
        var now = OpenSsl.run(tmp, "s_client", "-connect", at, "-brief", "-tls1_3");
        assertThat(now.stderr()).contains("Protocol version: TLSv1.3");
    }

    @Test
    void statusSaysFreshWithTheServedKeyFingerprint() {
        JsonNode status = AgentClient.tree(client.get("/v1/status"));
        assertThat(status.get("identity").asText()).isEqualTo("fresh");
        assertThat(status.get("node_name").asText()).isEqualTo("n1");
        assertThat(status.get("mode").asText()).isEqualTo("poll");
        assertThat(status.get("tls_fingerprint").asText())
                .isEqualTo(TicketProof.fingerprintHex(client.servedCertificate()));
    }

    @Test
    void hardwareInfoComesFromTheProfileOfASimulatedNode() {
        JsonNode done = client.run("hardware.get_info", Map.of());
        assertThat(done.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(done.at("/result/interfaces/0/mac").asText()).isEqualTo("52:54:00:12:34:56");
        assertThat(done.at("/result/disks/0/size_bytes").asLong()).isEqualTo(20L << 30);
        assertThat(done.at("/result/system_uuid").asText()).isEqualTo("uuid-1");
    }

    @Test
    void preferWaitAnswersAQuickCommandFinishedInOneRequest() throws Exception {
        var http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(pki.client(Optional.of(Profile.CONTROLLER))).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(
                        "https://127.0.0.1:" + agent.port() + "/v1/commands")).header("Prefer", "respond-async, wait=5")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"name\":\"hardware.get_info\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode s = Wire.JSON.readTree(r.body());
        assertThat(s.path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(s.at("/result/system_uuid").asText()).isEqualTo("uuid-1");
        assertThat(r.headers().firstValue("Location")).hasValue("/v1/commands/" + s.path("id").asText());
        // Without the preference a submission is accepted and still running, as before.
        assertThat(client.command("hardware.get_info", Map.of()).statusCode()).isEqualTo(202);
    }

    @Test
    void waitPreferenceIsReadAsRfc7240SaysAndCapped() {
        assertThat(AgentApi.waitPreference("wait=3")).hasValue(Duration.ofSeconds(3));
        assertThat(AgentApi.waitPreference("respond-async, WAIT = \"2\"")).hasValue(Duration.ofSeconds(2));
        assertThat(AgentApi.waitPreference("wait=999999")).hasValue(AgentApi.MAX_WAIT);
        assertThat(AgentApi.waitPreference("wait=0")).isEmpty();
        assertThat(AgentApi.waitPreference("handling=lenient")).isEmpty();
        assertThat(AgentApi.waitPreference("nowait=4")).isEmpty();
    }

    @Test
    void aSecondCommandWhileOneRunsIsAConflict() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        HttpServer images = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        images.createContext("/slow.img", ex -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        images.start();
        try {
            HttpResponse<String> first = client.command("deploy.write_image", Map.of(
                    "url", "http://127.0.0.1:" + images.getAddress().getPort() + "/slow.img",
                    "sha256", "0".repeat(64), "target", tmp.resolve("disk.img").toString()));
            assertThat(first.statusCode()).isEqualTo(202);
            assertThat(first.headers().firstValue("Location")).contains("/v1/commands/" + AgentClient.tree(first).get("id").asText());
            HttpResponse<String> second = client.command("system.status", Map.of());
            assertThat(second.statusCode()).isEqualTo(409);
            assertThat(second.headers().firstValue("Content-Type")).contains("application/problem+json");
            assertThat(AgentClient.tree(second).get("detail").asText()).contains("deploy.write_image");
            assertThat(AgentClient.tree(client.get("/v1/status")).at("/current/name").asText())
                    .isEqualTo("deploy.write_image");
            release.countDown();
            JsonNode done = client.await(AgentClient.tree(first).get("id").asText());
            assertThat(done.get("status").asText()).isEqualTo("FAILED");
            assertThat(done.get("error").asText()).contains("HTTP 404");
        } finally {
            release.countDown();
            images.stop(0);
        }
    }

    @Test
    void badRequestsGetProblemDetailsNamingWhatIsWrong() {
        HttpResponse<String> unknown = client.command("disk.format", Map.of());
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(AgentClient.tree(unknown).get("detail").asText()).contains("disk.format");
        HttpResponse<String> badNonce = client.command("identity.prove_ticket", Map.of("nonce", "!!"));
        assertThat(badNonce.statusCode()).isEqualTo(400);
        assertThat(AgentClient.tree(badNonce).get("detail").asText()).contains("nonce");
        HttpResponse<String> missingDevice = client.command("clean.erase_devices",
                Map.of("devices", List.of(tmp.resolve("nope").toString())));
        assertThat(missingDevice.statusCode()).isEqualTo(400);
        assertThat(AgentClient.tree(missingDevice).get("detail").asText()).contains("does not exist");
        HttpResponse<String> text = client.post("/v1/commands", "text/plain", "{\"name\":\"system.status\"}");
        assertThat(text.statusCode()).isEqualTo(415);
        // The answer to an oversized body must reach a client that is still writing it, every time.
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> big = client.post("/v1/commands", "application/json",
                    "{\"name\":\"node.set_info\",\"params\":{\"x\":\"" + "a".repeat(70_000 + i) + "\"}}");
            assertThat(big.statusCode()).as("attempt " + i).isEqualTo(413);
            assertThat(AgentClient.tree(big).get("detail").asText()).contains("at most 65536 bytes");
        }
        assertThat(client.get("/v1/commands/nope").statusCode()).isEqualTo(404);
    }

    @Test
    void systemStatusAndNodeInfoAreAnswered() throws Exception {
        JsonNode stored = client.run("node.set_info", Map.of("node_name", "n1", "node_id", "id-1",
                "labels", Map.of("rack", "r1")));
        assertThat(stored.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(Wire.JSON.readTree(tmp.resolve("data/node-info.json").toFile()).at("/labels/rack").asText())
                .isEqualTo("r1");
        JsonNode status = client.run("system.status", Map.of());
        assertThat(status.at("/result/enrolled").asBoolean()).isFalse();
        assertThat(status.at("/result/deploy/deployed").asBoolean()).isFalse();
        JsonNode reboot = client.run("power.reboot", Map.of());
        assertThat(reboot.get("status").asText()).isEqualTo("FAILED");
        assertThat(reboot.get("error").asText()).isEqualTo("no reboot command configured");
    }
}
