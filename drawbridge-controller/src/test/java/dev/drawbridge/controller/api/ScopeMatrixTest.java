package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.oauth.ApiScope;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scope matrix, generated from the route table itself: every route that needs a scope is called with
 * no token, with a valid token lacking its scope, and with a revoked token that holds its scope, and must answer
 * 401, 403 and 401. A route added later is in the table (the filter answers 404 for anything outside it), so it is
 * covered without this test changing.
 */
class ScopeMatrixTest {
    @TempDir
    static Path dir;
    static RunningController c;

    @BeforeAll
    static void start() throws Exception {
        c = RunningController.start(dir, cfg -> cfg.withApi(cfg.api().withAuthFailuresPerMinute(100_000))
                .withConsole(cfg.managementConsole().withEnabled(true)));
    }

    @AfterAll
    static void stop() {
        c.close();
    }

    private static String token(ApiScope scope) {
        RunningController.Answer a = c.json("POST", "/v1/oauth/tokens", Map.of("scope", scope.wire()));
        assertThat(a.status()).as(a.text()).isEqualTo(201);
        return a.json().path("access_token").asText();
    }

    private static String concrete(String pattern) {
        return pattern.replaceAll("\\{[^}]+}", "x").replace("*", "x");
    }

    @Test
    @DisplayName("every scoped route refuses no token (401), a token without its scope (403), a revoked one (401)")
    void everyRouteIsGuarded() {
        List<Access.Rule> rules = c.controller.apiServer().access().rules();
        assertThat(rules).hasSizeGreaterThan(30);
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (Access.Rule r : rules) {
            if (r.scope().isEmpty()) {
                assertThat(r.openBecause()).as(r.pattern() + " is open and must say why").isNotBlank();
                continue;
            }
            ApiScope needed = r.scope().get();
            ApiScope other = needed == ApiScope.NODES_READ ? ApiScope.FENCE : ApiScope.NODES_READ;
            String method = r.method().orElseThrow().text();
            String path = concrete(r.pattern());
            byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
            String holding = token(needed);
            RunningController.Answer revoke = c.call("POST", "/oauth2/revoke", "application/x-www-form-urlencoded",
                    ("token=" + holding).getBytes(StandardCharsets.UTF_8), "Authorization", "Bearer " + c.token);
            assertThat(revoke.status()).as(revoke.text()).isEqualTo(200);

            int none = c.call(method, path, "application/json", body).status();
            int lacking = c.call(method, path, "application/json", body, "Authorization", "Bearer " + token(other))
                    .status();
            int revoked = c.call(method, path, "application/json", body, "Authorization", "Bearer " + holding)
                    .status();
            if (none != 401 || lacking != 403 || revoked != 401) {
                wrong.add(method + " " + r.pattern() + " (" + needed.wire() + "): none " + none + ", lacking " + lacking
                        + ", revoked " + revoked);
            }
            checked++;
        }
        assertThat(wrong).isEmpty();
        assertThat(checked).isGreaterThan(25);
    }

    @Test
    @DisplayName("a path outside the table needs a valid credential (401 without), and then is answered 404 by the"
            + " filter before any route")
    void undeclaredPathsAreNotFound() {
        assertThat(c.call("GET", "/v1/not-a-route", null, null).status()).isEqualTo(401);
        assertThat(c.get("/v1/not-a-route").status()).isEqualTo(404);
        assertThat(c.call("GET", "/v1/not-a-route", null, null, "Authorization", "Bearer " + token(ApiScope.AUDIT_READ))
                .status()).isEqualTo(404);
        assertThat(c.get("/v1/ca/root").status()).isEqualTo(200);
    }

    @Test
    @DisplayName("the OpenAPI document names, for every route, the same scope as the route table")
    void openApiAgreesWithTheTable() throws Exception {
        JsonNode paths = Json.MAPPER.readTree(getClass().getResourceAsStream("/openapi.json")).path("paths");
        List<String> disagree = new ArrayList<>();
        for (Access.Rule r : c.controller.apiServer().access().rules()) {
            String path = r.pattern().replace("/*", "/{request}");
            if (r.method().isEmpty()) {
                if (!paths.has(path)) {
                    disagree.add(path + " is not documented");
                }
                continue;
            }
            JsonNode op = paths.path(path).path(r.method().get().text().toLowerCase(Locale.ROOT));
            String documented = op.path("security").path(0).path("oauth2").path(0).asText("");
            String declared = r.scope().map(ApiScope::wire).orElse("");
            if (op.isMissingNode() || !documented.equals(declared)) {
                disagree.add(r.method().get().text() + " " + path + ": table " + declared + ", document " + documented);
            }
        }
        assertThat(disagree).isEmpty();
    }

    @Test
    @DisplayName("a token with the route's scope, or admin, is let through")
    void scopedTokensWork() {
        assertThat(c.call("GET", "/v1/nodes", null, null, "Authorization", "Bearer " + token(ApiScope.NODES_READ))
                .status()).isEqualTo(200);
        assertThat(c.call("GET", "/v1/nodes", null, null, "Authorization", "Bearer " + token(ApiScope.ADMIN))
                .status()).isEqualTo(200);
        RunningController.Answer denied = c.call("POST", "/v1/nodes", "application/json",
                "{\"name\":\"n1\",\"macs\":[\"52:54:00:00:00:01\"]}".getBytes(StandardCharsets.UTF_8),
                "Authorization", "Bearer " + token(ApiScope.NODES_READ));
        assertThat(denied.status()).isEqualTo(403);
        assertThat(denied.header("WWW-Authenticate")).contains("insufficient_scope").contains("nodes:write");
        long nodes = c.controller.database().read(h -> h.createQuery("SELECT COUNT(*) FROM nodes").mapTo(Long.class)
                .one());
        assertThat(nodes).isZero();
    }
}
