package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Default deny on /v1, the public CA endpoints, health, metrics, OpenAPI and the audit trail. */
class AuthAndOpsTest {
    @TempDir static Path dir;
    static RunningController c;

    @BeforeAll
    static void start() throws Exception {
        // Many deliberate 401s from one address: raise the failed-authentication limit (AuthThrottleTest covers it).
        c = RunningController.start(dir.resolve("data"), cfg -> cfg.withApi(cfg.api().withAuthFailuresPerMinute(10_000)));
    }

    @AfterAll
    static void stop() {
        c.close();
    }

    @Test
    @DisplayName("every documented /v1 operation except the open ones (/v1/ca/*, /v1/enroll, /v1/agent/*, /v1/media/*)"
            + " answers 401 without a token, never data")
    void everyProtectedOperationNeedsToken() throws Exception {
        JsonNode paths = Json.MAPPER.readTree(getClass().getResourceAsStream("/openapi.json")).path("paths");
        List<String> checked = new ArrayList<>();
        paths.fields().forEachRemaining(p -> p.getValue().fieldNames().forEachRemaining(method -> {
            String path = p.getKey().replace("{id}", "node-x").replace("{serial}", "ab12").replace("{request}", "x")
                    .replace("{group}", "gpu");
            if (!path.startsWith("/v1") || path.startsWith("/v1/ca/") || path.equals("/v1/enroll")
                    || path.startsWith("/v1/agent/") || path.startsWith("/v1/media/")) {
                return;
            }
            var a = c.call(method.toUpperCase(), path, "application/json", "{}".getBytes());
            assertThat(a.status()).as(method + " " + path).isEqualTo(401);
            assertThat(a.header("WWW-Authenticate")).startsWith("Bearer");
            assertThat(a.problemType()).isEqualTo("unauthorized");
            checked.add(method + " " + path);
        }));
        assertThat(checked).hasSizeGreaterThan(10);
        assertThat(c.call("GET", "/v1/no-such-thing", null, null).status()).isEqualTo(401);
    }

    @Test
    @DisplayName("the root, CRL and health endpoints need no token")
    void publicEndpoints() throws Exception {
        var root = c.call("GET", "/v1/ca/root", null, null);
        assertThat(root.status()).isEqualTo(200);
        assertThat(root.text()).isEqualTo(Files.readString(c.dataDir.resolve("ca.pem")));
        assertThat(c.call("GET", "/v1/ca/crl", null, null).header("Content-Type")).isEqualTo("application/pkix-crl");
        assertThat(c.call("GET", "/healthz", null, null).json().path("status").asText()).isEqualTo("ok");
        assertThat(c.call("GET", "/readyz", null, null).json().path("status").asText()).isEqualTo("ready");
    }

    @Test
    @DisplayName("admin.token is created with mode 0600 and the data directory is private")
    void tokenFileIsPrivate() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(c.dataDir.resolve("admin.token"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(c.dataDir))).isEqualTo("rwx------");
        c.get("/v1/nodes"); // the store is open and has written its WAL
        for (String f : new String[] {"drawbridge.db", "drawbridge.db-wal", "drawbridge.db-shm"}) {
            if (Files.exists(c.dataDir.resolve(f)) || f.equals("drawbridge.db")) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(c.dataDir.resolve(f))))
                        .as(f).isEqualTo("rw-------");
            }
        }
    }

    @Test
    @DisplayName("a ticket and a payload, each carrying a one-time secret, are answered with Cache-Control: no-store")
    void secretsAreNotCached() {
        c.json("POST", "/v1/nodes", Map.of("name", "no-store-node"));
        var ticket = c.json("POST", "/v1/nodes/no-store-node/tickets", Map.of());
        assertThat(ticket.status()).isEqualTo(201);
        assertThat(ticket.header("Cache-Control")).isEqualTo("no-store");
        var payload = c.json("POST", "/v1/nodes/no-store-node/payload", Map.of("mode", "poll"));
        assertThat(payload.status()).isEqualTo(201);
        assertThat(payload.header("Cache-Control")).isEqualTo("no-store");
    }

    @Test
    @DisplayName("an authenticated call to an unknown path gets a 404 problem")
    void unknownPathIs404Problem() {
        var a = c.get("/v1/no-such-thing");
        assertThat(a.status()).isEqualTo(404);
        assertThat(a.header("Content-Type")).isEqualTo("application/problem+json");
    }

    @Test
    @DisplayName("metrics are in Prometheus text format and count requests by route")
    void metricsCountRequests() {
        c.get("/v1/nodes");
        String m = c.call("GET", "/metrics", null, null).text();
        assertThat(m).contains("# TYPE drawbridge_http_requests_seconds summary")
                .contains("route=\"/v1/nodes\"").contains("jvm_memory_used_bytes");
    }

    @Test
    @DisplayName("node CRUD works and pages by name with a state filter")
    void nodeCrudAndPaging() {
        for (int i = 0; i < 5; i++) {
            c.createNode("page-" + i);
        }
        var first = c.get("/v1/nodes?state=discovered&limit=2").json();
        assertThat(first.path("items")).hasSize(2);
        String next = first.path("next").asText();
        var second = c.get("/v1/nodes?state=discovered&limit=2&after=" + next).json();
        assertThat(second.path("items").get(0).path("name").asText()).isGreaterThan(next);
        var patched = c.json("PATCH", "/v1/nodes/page-1", Map.of("labels", Map.of("rack", "r9"),
                "macs", List.of("AA-BB-CC-DD-EE-FF")));
        assertThat(patched.status()).isEqualTo(200);
        assertThat(patched.json().path("macs").get(0).asText()).isEqualTo("aa:bb:cc:dd:ee:ff");
        assertThat(patched.json().path("labels").path("rack").asText()).isEqualTo("r9");
        assertThat(c.json("DELETE", "/v1/nodes/page-2", null).status()).isEqualTo(204);
        assertThat(c.get("/v1/nodes/page-2").status()).isEqualTo(404);
    }

    @Test
    @DisplayName("granted and refused enrollments are both audit events, in one verifiable hash chain")
    void decisionsAreAudited() {
        c.createNode("audited");
        String t = c.ticket("audited", null);
        assertThat(c.enroll(t, Csrs.ec(dir, "audited")).status()).isEqualTo(201);
        assertThat(c.enroll(t, Csrs.ec(dir, "audited")).status()).isEqualTo(409);
        JsonNode items = c.get("/v1/events?limit=1000").json().path("items");
        List<String> outcomes = new ArrayList<>();
        String prev = "0".repeat(64);
        for (JsonNode e : items) {
            assertThat(e.path("prev_hash").asText()).isEqualTo(prev);
            prev = e.path("hash").asText();
            if (e.path("kind").asText().equals("enroll") && e.path("subject").asText().equals("audited")) {
                outcomes.add(e.path("outcome").asText() + ":" + e.path("detail").path("reason").asText(""));
            }
        }
        assertThat(outcomes).containsExactly("granted:", "refused:ticket_used");
    }
}
