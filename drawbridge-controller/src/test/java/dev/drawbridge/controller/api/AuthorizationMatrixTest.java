package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.pki.Profile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The authorization matrix: every documented protected operation (the route table in /v1/openapi.json, plus paths
 * that exist nowhere) called with each kind of wrong credential must be refused with 401 problem+json, and the
 * refusal must be the same whether or not the resource exists, so an unauthenticated caller learns nothing. A route
 * added later is refused the same way without being listed: authentication is a filter in front of all routing.
 */
class AuthorizationMatrixTest {
    @TempDir Path dir;

    @Test
    @DisplayName("every protected operation refuses every wrong credential with 401, and a 404 reveals nothing")
    void everyRouteRefusesEveryWrongCredential() throws Exception {
        try (var c = RunningController.start(dir.resolve("data"),
                cfg -> cfg.withApi(cfg.api().withAuthFailuresPerMinute(100_000)))) {
            c.createNode("exists");
            JsonNode paths = Json.MAPPER.readTree(getClass().getResourceAsStream("/openapi.json")).path("paths");
            List<String[]> operations = new ArrayList<>();
            paths.fields().forEachRemaining(p -> p.getValue().fieldNames().forEachRemaining(method -> {
                String path = p.getKey();
                if (path.startsWith("/v1") && !path.startsWith("/v1/ca/") && !path.equals("/v1/enroll")
                        && !path.startsWith("/v1/agent/") && !path.startsWith("/v1/media/")) {
                    for (String id : new String[] {"exists", "does-not-exist"}) {
                        operations.add(new String[] {method.toUpperCase(), path.replace("{id}", id)
                                .replace("{serial}", "ab12").replace("{request}", "x").replace("{group}", "gpu")
                                .replace("{name}", id)});
                    }
                }
            }));
            operations.add(new String[] {"GET", "/v1/no-such-route"});
            operations.add(new String[] {"DELETE", "/v1/nodes/exists/not/a/route"});
            Map<String, String[]> credentials = new LinkedHashMap<>();
            credentials.put("no token", new String[0]);
            credentials.put("an empty bearer", new String[] {"Authorization", "Bearer "});
            credentials.put("a malformed bearer", new String[] {"Authorization", "Bearer a b c"});
            credentials.put("a Basic credential", new String[] {"Authorization", "Basic YWRtaW46YWRtaW4="});
            credentials.put("a wrong token", new String[] {"Authorization", "Bearer " + "x".repeat(43)});
            credentials.put("the token with a byte changed", new String[] {"Authorization", "Bearer "
                    + c.token.substring(0, c.token.length() - 1) + (c.token.endsWith("A") ? "B" : "A")});
            int calls = 0;
            for (String[] op : operations) {
                Map<String, String> bodies = new LinkedHashMap<>();
                for (var cred : credentials.entrySet()) {
                    var a = c.call(op[0], op[1], "application/json", "{}".getBytes(), cred.getValue());
                    calls++;
                    assertThat(a.status()).as(cred.getKey() + ": " + op[0] + " " + op[1]).isEqualTo(401);
                    assertThat(a.header("Content-Type")).isEqualTo("application/problem+json");
                    bodies.put(cred.getKey(), a.json().path("detail").asText());
                }
                for (Profile p : new Profile[] {Profile.NODE, Profile.CONSOLE_CLIENT, Profile.CONTROLLER}) {
                    var a = c.callWithCertificate(p, op[0], op[1]);
                    calls++;
                    assertThat(a.status()).as(p + " client certificate: " + op[0] + " " + op[1]).isEqualTo(401);
                }
            }
            // Refusals of an existing and a missing node are identical: no existence oracle before authentication.
            var existing = c.call("GET", "/v1/nodes/exists", null, null, "Authorization", "Bearer nope");
            var missing = c.call("GET", "/v1/nodes/does-not-exist", null, null, "Authorization", "Bearer nope");
            assertThat(existing.json().path("detail")).isEqualTo(missing.json().path("detail"));
            assertThat(operations.size()).as("operations in the matrix").isGreaterThan(40);
            System.out.println("authorization matrix: " + operations.size() + " operations x "
                    + (credentials.size() + 3) + " credentials = " + calls + " calls, all refused with 401");
        }
    }

    @Test
    @DisplayName("every operation in the route table is a real route: with the admin token none is 'no such endpoint'")
    void theDocumentedTableMatchesTheRoutes() throws Exception {
        try (var c = RunningController.start(dir.resolve("data"))) {
            c.createNode("exists");
            JsonNode paths = Json.MAPPER.readTree(getClass().getResourceAsStream("/openapi.json")).path("paths");
            List<String> unrouted = new ArrayList<>();
            paths.fields().forEachRemaining(p -> p.getValue().fieldNames().forEachRemaining(method -> {
                String path = p.getKey().replace("{id}", "exists").replace("{serial}", "ab12")
                        .replace("{request}", "MAo=").replace("{group}", "gpu").replace("{token}", "A".repeat(43));
                var a = c.call(method.toUpperCase(), path, "application/json", "{}".getBytes(),
                        "Authorization", "Bearer " + c.token, "X-Auth-Token", c.token);
                if (a.status() == 404 && a.text().contains("no such endpoint")) {
                    unrouted.add(method + " " + p.getKey());
                }
            }));
            assertThat(unrouted).as("documented but not routed").isEmpty();
        }
    }
}
