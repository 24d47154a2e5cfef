package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.drawbridge.controller.config.ControllerConfig;
import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.verify.Trust;
import dev.drawbridge.controller.verify.Verdicts;
import dev.drawbridge.pki.Jws;
import dev.drawbridge.testkit.IpmiSim;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Operator fencing with every step recorded, evacuation to a trusted host, readmission, and placement rules. */
class FenceAndPlacementTest {
    @TempDir Path dir;

    /** Puts a node where a host that runs workloads is: active with capacity (fixture set-up in SQL). */
    private static void makeActiveHost(RunningController c, String name) {
        c.createNode(name);
        c.controller.database().inTransaction(h -> h.createUpdate("UPDATE nodes SET state = 'active',"
                + " capacity_cpus = 8, capacity_memory_mb = 16384, bmc_address = '127.0.2.1:623' WHERE name = :n")
                .bind("n", name).execute());
    }

    private static Verdicts verdicts(RunningController c) {
        return new Verdicts(c.controller.database(), AuditLog.jdbi(), c.clock,
                Duration.ofSeconds(30));
    }

    private static String id(RunningController c, String name) {
        return c.get("/v1/nodes/" + name).json().path("id").asText();
    }

    @Test
    @DisplayName("fencing a host disables it, revokes its certificates, powers it off, moves its instances and sends a signed notice")
    void operatorFenceRunsEveryStep() throws Exception {
        List<String> notices = new CopyOnWriteArrayList<>();
        HttpServer hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hook.createContext("/", ex -> {
            notices.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.US_ASCII));
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        hook.start();
        String url = "http://127.0.0.1:" + hook.getAddress().getPort() + "/fenced";
        try (var c = RunningController.start(dir.resolve("data"), cfg -> cfg.withFencing(cfg.fencing()
                .withPowerDriver("fake").withWebhook(url)))) {
            makeActiveHost(c, "host-a");
            makeActiveHost(c, "host-b");
            var v = verdicts(c);
            v.record(id(c, "host-a"), "host-a", Trust.TRUSTED, List.of(), "00");
            var first = c.json("POST", "/v1/instances", Map.of("name", "web-1", "cpus", 2, "memory_mb", 2048));
            assertThat(first.status()).as(first.text()).isEqualTo(201);
            assertThat(first.json().path("node_id").asText()).isEqualTo(id(c, "host-a"));
            v.record(id(c, "host-b"), "host-b", Trust.TRUSTED, List.of(), "01");
            var enrolled = c.enroll(c.ticket("host-a", null), Csrs.ec(dir, "host-a"));
            assertThat(enrolled.status()).isEqualTo(201);

            var fenced = c.json("POST", "/v1/nodes/host-a/fence", Map.of("reason", "operator saw tampering"));
            assertThat(fenced.status()).as(fenced.text()).isEqualTo(201);
            JsonNode fence = c.get("/v1/nodes/host-a/fences").json().path("items").get(0);
            assertThat(fence.path("status").asText()).isEqualTo("done");
            assertThat(fence.findValuesAsText("step")).containsExactly("disable-placement", "revoke-certificates",
                    "revoke-oauth", "power-off", "evacuate", "notify");
            assertThat(fence.findValuesAsText("status")).containsExactly("done", "done", "done", "done", "done",
                    "done", "done");
            assertThat(c.get("/v1/nodes/host-a").json().path("state").asText()).isEqualTo("fenced");
            assertThat(c.get("/v1/certificates/" + enrolled.json().path("serial").asText()).json().path("status")
                    .asText()).isEqualTo("revoked");
            assertThat(c.get("/v1/instances/web-1").json().path("node_id").asText()).isEqualTo(id(c, "host-b"));
            assertThat(notices).hasSize(1);
            assertThat(Jws.verify(notices.get(0), c.controller.ca().root())).hasValueSatisfying(p ->
                    assertThat(p).contains("node.fenced").contains("host-a"));

            var early = c.json("POST", "/v1/nodes/host-a/readmit", Map.of("approved_by", "alice", "reason", "fixed"));
            assertThat(early.status()).isEqualTo(409);
            c.clock.advance(Duration.ofSeconds(1));
            v.record(id(c, "host-a"), "host-a", Trust.TRUSTED, List.of(), "02");
            var readmitted = c.json("POST", "/v1/nodes/host-a/readmit", Map.of("approved_by", "alice", "reason", "fixed"));
            assertThat(readmitted.status()).as(readmitted.text()).isEqualTo(200);
            assertThat(readmitted.json().path("state").asText()).isEqualTo("enrolling");
        } finally {
            hook.stop(0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ipmitool", "fence-agent"})
    @DisplayName("a fence powers the host off through its BMC and is confirmed only when ipmi_sim reads back off")
    void fencePowersOffThroughRealBmc(String driver) throws Exception {
        try (var bmc = IpmiSim.start()) {
            Path pw = Files.writeString(dir.resolve("bmc.pw"), bmc.password());
            try (var c = RunningController.start(dir.resolve("data"), cfg -> cfg.withFencing(cfg.fencing()
                    .withPowerDriver(driver).withBmc(bmc.user(), pw.toString(), Integer.toString(bmc.cipherSuite()))))) {
                makeActiveHost(c, "host-ipmi");
                c.controller.database().inTransaction(h -> h.createUpdate("UPDATE nodes SET bmc_address = :b WHERE name = 'host-ipmi'")
                        .bind("b", bmc.host() + ":" + bmc.port()).execute());
                assertThat(bmc.powerState().toString()).isEqualTo("ON");
                c.json("POST", "/v1/nodes/host-ipmi/fence", Map.of("reason", "test " + driver));
                JsonNode fence = c.get("/v1/nodes/host-ipmi/fences").json().path("items").get(0);
                assertThat(fence.path("status").asText()).as(fence.toString()).isEqualTo("done");
                assertThat(fence.path("steps").get(3).path("detail").asText()).contains("reads back power off");
                assertThat(bmc.powerState().toString()).isEqualTo("OFF");
                assertThat(fence.toString()).doesNotContain(bmc.password());
            }
        }
    }

    @Test
    @DisplayName("a fence left unfinished by a killed controller is resumed and completed at the next start")
    void unfinishedFenceResumesAtStart() throws Exception {
        Path data = dir.resolve("data");
        String nodeId;
        try (var c = RunningController.start(data, cfg -> cfg.withFencing(cfg.fencing().withPowerDriver("fake")))) {
            makeActiveHost(c, "host-crash");
            nodeId = id(c, "host-crash");
            // The state a controller killed right after committing the fence leaves behind: record and steps
            // written, node fenced, no step run.
            long now = System.currentTimeMillis();
            c.controller.database().inTransaction(h -> {
                h.createUpdate("UPDATE nodes SET state = 'fenced' WHERE name = 'host-crash'").execute();
                h.createUpdate("INSERT INTO fences (id, node_id, trigger_kind, reason, actor, status, created_at)"
                        + " VALUES ('f-crash', :n, 'operator', 'crash test', 'test', 'running', :at)")
                        .bind("n", nodeId).bind("at", now).execute();
                String[] steps = {"disable-placement", "revoke-certificates", "revoke-oauth", "power-off", "evacuate",
                        "notify"};
                for (int i = 0; i < steps.length; i++) {
                    h.createUpdate("INSERT INTO fence_steps (fence_id, ordinal, step, status, updated_at)"
                            + " VALUES ('f-crash', :o, :s, 'pending', :at)").bind("o", i).bind("s", steps[i])
                            .bind("at", now).execute();
                }
                return null;
            });
        }
        try (var c = RunningController.start(data, cfg -> cfg.withFencing(cfg.fencing().withPowerDriver("fake")))) {
            JsonNode fence = null;
            for (int i = 0; i < 100; i++) {
                fence = c.get("/v1/nodes/host-crash/fences").json().path("items").get(0);
                if (!fence.path("status").asText().equals("running")) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(fence.path("status").asText()).as(fence.toString()).isEqualTo("done");
            assertThat(fence.findValuesAsText("status")).doesNotContain("pending");
            Integer disabled = c.controller.database().inTransaction(h -> h.createQuery(
                    "SELECT placement_disabled FROM nodes WHERE id = :n").bind("n", nodeId).mapTo(Integer.class).one());
            assertThat(disabled).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("with no power driver the fence does every other step, its power-off is skipped and the fence is not done")
    void unconfirmedWithoutPowerDriver() throws Exception {
        try (var c = RunningController.start(dir.resolve("data"))) {
            makeActiveHost(c, "host-c");
            c.json("POST", "/v1/nodes/host-c/fence", Map.of("reason", "test"));
            JsonNode fence = c.get("/v1/nodes/host-c/fences").json().path("items").get(0);
            assertThat(fence.path("status").asText()).isEqualTo("failed");
            assertThat(fence.path("steps").get(3).path("status").asText()).isEqualTo("skipped");
            assertThat(fence.path("steps").get(3).path("detail").asText())
                    .startsWith("skipped: no power driver configured");
            assertThat(fence.path("steps").get(4).path("status").asText()).isEqualTo("done");
        }
    }

    @Test
    @DisplayName("an instance is placed only on a host whose trusted verdict is fresh, never on a stale or untrusted one")
    void placementNeedsFreshTrust() throws Exception {
        try (var c = RunningController.start(dir.resolve("data"))) {
            makeActiveHost(c, "host-d");
            makeActiveHost(c, "host-e");
            var v = verdicts(c);
            v.record(id(c, "host-d"), "host-d", Trust.TRUSTED, List.of(), "00");
            v.record(id(c, "host-e"), "host-e", Trust.UNTRUSTED, List.of("PCR 7 differs"), "00");
            c.clock.advance(Duration.ofSeconds(31));
            var stale = c.json("POST", "/v1/instances", Map.of("name", "db-1", "cpus", 1, "memory_mb", 512));
            assertThat(stale.json().path("state").asText()).isEqualTo("unplaced");
            assertThat(stale.json().path("reason").asText()).contains("fresh trusted verdict");
            assertThat(c.get("/v1/nodes/host-d/attestations").json().path("current").asText()).isEqualTo("unknown");
            v.record(id(c, "host-d"), "host-d", Trust.TRUSTED, List.of(), "01");
            var placed = c.json("POST", "/v1/instances", Map.of("name", "db-2", "cpus", 1, "memory_mb", 512));
            assertThat(placed.json().path("node_id").asText()).isEqualTo(id(c, "host-d"));
            var tooBig = c.json("POST", "/v1/instances", Map.of("name", "db-3", "cpus", 64, "memory_mb", 512));
            assertThat(tooBig.json().path("state").asText()).isEqualTo("unplaced");
            assertThat(c.json("POST", "/v1/instances", Map.of("name", "db-4", "cpus", "two", "memory_mb", 1)).status())
                    .isEqualTo(400);
        }
    }

    @Test
    @DisplayName("deleting an instance gives its room back to its host; an unknown one is a 404 and changes nothing")
    void deleteInstanceFreesRoom() throws Exception {
        try (var c = RunningController.start(dir.resolve("data"))) {
            makeActiveHost(c, "host-f");
            verdicts(c).record(id(c, "host-f"), "host-f", Trust.TRUSTED, List.of(), "00");
            var big = c.json("POST", "/v1/instances", Map.of("name", "big-1", "cpus", 6, "memory_mb", 8192));
            assertThat(big.json().path("node_id").asText()).isEqualTo(id(c, "host-f"));
            var noRoom = c.json("POST", "/v1/instances", Map.of("name", "big-2", "cpus", 6, "memory_mb", 8192));
            assertThat(noRoom.json().path("state").asText()).isEqualTo("unplaced");

            var missing = c.json("DELETE", "/v1/instances/nope", null);
            assertThat(missing.status()).isEqualTo(404);
            assertThat(missing.json().path("detail").asText()).contains("nope");
            assertThat(c.get("/v1/instances").json().path("items")).hasSize(2);

            var deleted = c.json("DELETE", "/v1/instances/big-1", null);
            assertThat(deleted.status()).as(deleted.text()).isEqualTo(200);
            assertThat(deleted.json().path("name").asText()).isEqualTo("big-1");
            assertThat(c.get("/v1/instances/big-1").status()).isEqualTo(404);
            var placed = c.json("POST", "/v1/instances", Map.of("name", "big-3", "cpus", 6, "memory_mb", 8192));
            assertThat(placed.json().path("node_id").asText()).as("the freed room is used").isEqualTo(id(c, "host-f"));
            assertThat(c.json("DELETE", "/v1/instances/big-1", null).status()).as("deleted once only").isEqualTo(404);
        }
    }
}
