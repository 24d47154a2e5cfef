package dev.drawbridge.controller.api;

import dev.drawbridge.oauth.ApiScope;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drawbridge.controller.inventory.AuditEvent;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Health, readiness, Prometheus metrics, the OpenAPI document and the audit trail. */
final class OpsRoutes implements HttpService {
    private static final Logger LOG = LoggerFactory.getLogger(OpsRoutes.class);
    private final ApiContext ctx;
    private final Access access;
    private final byte[] openapi;

    OpsRoutes(ApiContext ctx, Access access) {
        this.ctx = ctx;
        this.access = access;
        try (InputStream in = OpsRoutes.class.getResourceAsStream("/openapi.json")) {
            this.openapi = in.readAllBytes();
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("openapi.json is missing from the controller jar", e);
        }
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/healthz", (req, res) -> Json.send(res, 200, Json.object().put("status", "ok")))
                .get("/readyz", this::ready)
                .get("/metrics", this::metrics);
        access.on(rules).get("/v1/openapi.json", ApiScope.NODES_READ, (req, res) -> {
            res.header("Content-Type", "application/json");
            res.send(openapi);
        }).get("/v1/events", ApiScope.AUDIT_READ, this::events);
    }

    private void ready(ServerRequest req, ServerResponse res) {
        try {
            ctx.inventory().count();
            // Unauthenticated: says ready or not, never where the store lives or why it failed (that is in the log).
            Json.send(res, 200, Json.object().put("status", "ready"));
        } catch (RuntimeException e) {
            LOG.warn("readiness check: the store does not answer: {}", e.toString());
            throw new ApiException(503, "not-ready", "Not ready", "the store does not answer; see the controller's log");
        }
    }

    private void metrics(ServerRequest req, ServerResponse res) {
        res.header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        res.send(ctx.metrics().scrape().getBytes(StandardCharsets.UTF_8));
    }

    private void events(ServerRequest req, ServerResponse res) {
        long after = Query.param(req, "after").map(OpsRoutes::seq).orElse(0L);
        int limit = Query.param(req, "limit").map(NodeRoutes::limit).orElse(100);
        List<AuditEvent> events = ctx.inventory().events(after, limit);
        ObjectNode body = Json.object();
        body.putArray("items");
        events.forEach(e -> body.withArray("items").add(Views.event(e)));
        body.put("next", events.isEmpty() ? after : events.get(events.size() - 1).seq());
        Json.send(res, 200, body);
    }

    private static long seq(String s) {
        try {
            long v = Long.parseLong(s);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ApiException.badRequest("'after' must be an event sequence number (0 or more)");
    }

}
