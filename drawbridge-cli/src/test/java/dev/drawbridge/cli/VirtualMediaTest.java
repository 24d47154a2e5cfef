package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.agent.BootstrapSource;
import dev.drawbridge.controller.config.ControllerConfig;
import dev.drawbridge.pki.Jws;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.protocol.Wire;
import dev.drawbridge.testkit.NetNs;
import dev.drawbridge.testkit.RedfishService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Redfish virtual-media channel end to end, against the test kit's Redfish service acting as the node's BMC (it
 * fetches an inserted image as a mounting BMC does): {@code node payload --channel virtual-media} has the BMC insert
 * a one-time URL; python3-sushy reads the inserted image; a second fetch is refused; the node's agent boots from
 * the fetched image and enrolls; the controller then ejects, and sushy reads the ejected state. A URL nobody fetched
 * expires and is ejected; an unknown URL, a node with no BMC and a BMC that refuses are each refused with a reason.
 */
class VirtualMediaTest {
    private static final String USER = "root";
    private static final String PASSWORD = "vm-" + Long.toHexString(System.nanoTime());

    @TempDir Path dir;

    @Test
    @DisplayName("virtual media: insert -> the BMC fetches once -> a second fetch is refused -> the agent enrolls from"
            + " the image -> ejected; an unfetched URL expires and is ejected")
    void insertFetchEnrollEject() throws Exception {
        NetNs.require("xorriso", "xorriso");
        NetNs.require("isoinfo", "genisoimage");
        if (new ProcessBuilder("/usr/bin/python3", "-c", "import sushy").start().waitFor() != 0) {
            throw new AssertionError("python3-sushy is missing: install the Debian package 'python3-sushy'");
        }
        Path password = dir.resolve("bmc-password");
        Files.writeString(password, PASSWORD + "\n");
        try (RedfishService bmc = RedfishService.start(Files.createDirectories(dir.resolve("bmc")), USER, PASSWORD);
             RedfishService idle = RedfishService.start(Files.createDirectories(dir.resolve("idle")), USER,
                     PASSWORD)) {
            Path bmcCas = dir.resolve("bmc-cas.pem");
            Files.writeString(bmcCas, Files.readString(bmc.certificatePem()) + Files.readString(idle.certificatePem()));
            try (Fleet fleet = new Fleet(dir, "127.0.0.1:0", Duration.ofMinutes(60), "none", 0, c -> c
                    .withFencing(c.fencing().withBmc(USER, password.toString(), "17")
                            .withRedfishCaFile(bmcCas.toString()))
                    .withEnrollment(c.enrollment().withMedia(Duration.ofSeconds(4), "")))) {
                String caPem = Files.readString(fleet.controller.dataDir().root().resolve("ca.pem"));
                bmc.fetchImages(ApiClient.trusting(caPem));
                String mac = "52:54:00:7f:00:01";
                fleet.api.post("/v1/nodes", Map.of("name", "vm-1", "macs", List.of(mac), "bmc_address",
                        "127.0.0.1:" + bmc.port()));

                int code = Main.run("node", "payload", "vm-1", "--channel", "virtual-media", "--data-dir",
                        fleet.controller.dataDir().root().toString());
                assertThat(code).isZero();
                String url = bmc.image();
                assertThat(url).as("the URL the BMC was given").startsWith(fleet.controller.url() + "/v1/media/");
                JsonNode seen = sushy(bmc, "state");
                assertThat(seen.path("inserted").asBoolean()).as("sushy reads the image inserted").isTrue();
                assertThat(seen.path("image").asText()).isEqualTo(url);
                byte[] image = bmc.medium();
                assertThat(image).as("the BMC fetched the image").isNotNull();
                System.out.println("virtual media: the BMC fetched " + image.length + " bytes");

                // One fetch only: the same URL again is gone, and a guessed one unknown.
                HttpResponse<String> again = get(caPem, url);
                assertThat(again.statusCode()).isEqualTo(410);
                assertThat(again.body()).contains("media-gone").contains("already fetched");
                assertThat(get(caPem, fleet.controller.url() + "/v1/media/" + "A".repeat(43)).statusCode())
                        .isEqualTo(404);
                JsonNode listed = fleet.api.get("/v1/nodes/vm-1/virtual-media").path("items").get(0);
                assertThat(listed.path("state").asText()).isEqualTo("inserted");
                assertThat(listed.path("fetched_by").asText()).isEqualTo("127.0.0.1");
                assertThatThrownBy(() -> fleet.api.post("/v1/nodes/vm-1/virtual-media", Map.of()))
                        .as("one image at a time").hasMessageContaining("eject it first");

                // The node boots from the image: isoinfo reads the label, the agent checks the payload and enrolls.
                Path iso = dir.resolve("vm-1.iso");
                Files.write(iso, image);
                assertThat(run("isoinfo", "-d", "-i", iso.toString())).contains("Volume id: config-2");
                Path agentData = dir.resolve("vm-1").resolve("agent-data");
                Path payload = BootstrapSource.fetch("config-drive:" + iso, agentData);
                assertThat(Jws.verify(Files.readString(payload), Pem.certificate(caPem))).isPresent();
                SimulatedNode node = SimulatedNode.start(dir.resolve("vm-1"), "127.0.0.1", Files.readString(payload),
                        SimulatedNode.profile(mac));
                fleet.nodes.add(node);
                fleet.api.patch(NodeCommand.path("vm-1"), Map.of("agent_address", node.address(), "labels",
                        Map.of("root-device", node.disk().toString())));
                fleet.act("vm-1", Map.of("action", "manage"));
                assertThat(fleet.awaitState("vm-1", "manageable").path("state").asText()).isEqualTo("manageable");

                // Enrolled: the controller ejects, and sushy reads the empty slot.
                await(() -> !bmc.inserted(), "the image is ejected after enrollment");
                assertThat(sushy(bmc, "state").path("inserted").asBoolean()).isFalse();
                JsonNode ejected = fleet.api.get("/v1/nodes/vm-1/virtual-media").path("items").get(0);
                assertThat(ejected.path("state").asText()).isEqualTo("ejected");
                assertThat(ejected.path("detail").asText()).isEqualTo("the node enrolled");
                assertThat(bmc.actions()).containsSubsequence("InsertMedia " + url, "EjectMedia");

                // A BMC that never fetches: the URL expires, a late fetch is gone, and the image is ejected.
                fleet.api.post("/v1/nodes", Map.of("name", "vm-2", "macs", List.of("52:54:00:7f:00:02"),
                        "bmc_address", "127.0.0.1:" + idle.port()));
                JsonNode second = fleet.api.post("/v1/nodes/vm-2/virtual-media", Map.of());
                assertThat(idle.inserted()).isTrue();
                await(() -> !idle.inserted(), "an unfetched image is ejected once its URL expires");
                HttpResponse<String> late = get(caPem, second.path("url").asText());
                assertThat(late.statusCode()).isEqualTo(410);
                assertThat(fleet.api.get("/v1/nodes/vm-2/virtual-media").path("items").get(0).path("detail")
                        .asText()).isEqualTo("the URL expired unfetched");

                // Refusals: no BMC address; a BMC that refuses our login (the URL it was given is then void).
                fleet.api.post("/v1/nodes", Map.of("name", "vm-3", "macs", List.of("52:54:00:7f:00:03")));
                assertThatThrownBy(() -> fleet.api.post("/v1/nodes/vm-3/virtual-media", Map.of()))
                        .hasMessageContaining("has no bmc_address");
                fleet.api.patch(NodeCommand.path("vm-3"), Map.of("bmc_address", "127.0.0.1:" + idle.port(),
                        "bmc_username", "nobody"));
                assertThatThrownBy(() -> fleet.api.post("/v1/nodes/vm-3/virtual-media", Map.of()))
                        .hasMessageContaining("did not insert the image").hasMessageContaining("401")
                        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
                assertThat(fleet.api.get("/v1/nodes/vm-3/virtual-media").path("items").get(0).path("state")
                        .asText()).isEqualTo("failed");
                assertThat(idle.inserted()).isFalse();

                // A BMC that cannot fetch (it does not trust our CA) and names the URL in its error: the one-time
                // token is kept out of the answer, the stored detail and the audit record.
                fleet.api.patch(NodeCommand.path("vm-3"), Map.of("bmc_username", USER));
                idle.fetchImages(javax.net.ssl.SSLContext.getDefault());
                Pattern token = Pattern.compile("/v1/media/[A-Za-z0-9_-]{43}");
                assertThatThrownBy(() -> fleet.api.post("/v1/nodes/vm-3/virtual-media", Map.of()))
                        .hasMessageContaining("did not insert the image").hasMessageContaining("/v1/media/<token>")
                        .satisfies(e -> assertThat(token.matcher(e.getMessage()).find()).isFalse());
                String detail = fleet.api.get("/v1/nodes/vm-3/virtual-media").path("items").get(0).path("detail")
                        .asText();
                assertThat(detail).contains("/v1/media/<token>");
                assertThat(token.matcher(detail).find()).isFalse();
                String audit = fleet.api.get("/v1/events?limit=1000").toString();
                assertThat(audit).contains("/v1/media/<token>");
                assertThat(token.matcher(audit).find()).as("no token in the audit log").isFalse();
                assertThat(idle.inserted()).isFalse();
            }
        }
    }

    @Test
    @DisplayName("virtual media across a restart: the image lived in the old run's memory, so its URL answers 410"
            + " and the sweep ejects it from the BMC")
    void restartBetweenInsertAndFetch() throws Exception {
        NetNs.require("xorriso", "xorriso");
        Path password = dir.resolve("bmc-password");
        Files.writeString(password, PASSWORD + "\n");
        try (RedfishService idle = RedfishService.start(Files.createDirectories(dir.resolve("idle")), USER,
                PASSWORD)) {
            UnaryOperator<ControllerConfig> cfg = c -> c
                    .withFencing(c.fencing().withBmc(USER, password.toString(), "17")
                            .withRedfishCaFile(idle.certificatePem().toString()))
                    .withEnrollment(c.enrollment().withMedia(Duration.ofMinutes(10), ""));
            String url;
            try (Fleet before = new Fleet(dir, "127.0.0.1:0", Duration.ofMinutes(60), "none", 0, cfg)) {
                before.api.post("/v1/nodes", Map.of("name", "vm-r", "macs", List.of("52:54:00:7f:00:05"),
                        "bmc_address", "127.0.0.1:" + idle.port()));
                url = before.api.post("/v1/nodes/vm-r/virtual-media", Map.of()).path("url").asText();
                assertThat(idle.inserted()).isTrue();
            }
            // The BMC was slow: it fetches only after the controller restarted (at the same address, here the new
            // port), and the image it was promised is gone with the old run.
            try (Fleet after = new Fleet(dir, "127.0.0.1:0", Duration.ofMinutes(60), "none", 0, cfg)) {
                Path data = after.controller.dataDir().root();
                String base = Files.readString(data.resolve("controller.url")).strip();
                HttpResponse<String> late = get(Files.readString(data.resolve("ca.pem")),
                        base + url.substring(url.indexOf("/v1/media/")));
                assertThat(late.statusCode()).isEqualTo(410);
                assertThat(late.body()).contains("restarted");
                await(() -> !idle.inserted(), "the lost image ejected from the BMC");
                JsonNode session = after.api.get("/v1/nodes/vm-r/virtual-media").path("items").get(0);
                assertThat(session.path("state").asText()).isEqualTo("ejected");
                assertThat(session.path("detail").asText())
                        .isEqualTo("the controller holding the image restarted or stopped before the BMC fetched it");
                assertThat(idle.actions()).containsSubsequence("InsertMedia " + url, "EjectMedia");
            }
        }
    }

    private static HttpResponse<String> get(String caPem, String url) throws Exception {
        return HttpClient.newBuilder().sslContext(ApiClient.trusting(caPem)).build().send(HttpRequest.newBuilder(
                URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 20 s: " + what);
            }
            Thread.sleep(100);
        }
    }

    private static JsonNode sushy(RedfishService bmc, String verb) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", Path.of(System.getProperty("user.dir"))
                .getParent().resolve("interop/redfish/sushy_client.py").toString(), bmc.url(), USER, PASSWORD,
                bmc.certificatePem().toString(), verb));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        // requests prefers REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE) from the environment over the session's CA file.
        pb.environment().put("REQUESTS_CA_BUNDLE", bmc.certificatePem().toString());
        pb.environment().put("CURL_CA_BUNDLE", bmc.certificatePem().toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as("sushy\n" + out).isTrue();
        return Wire.JSON.readTree(out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("sushy printed no JSON: " + out)));
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd)).isZero();
        return out;
    }
}
