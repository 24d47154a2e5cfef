package dev.drawbridge.controller.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drawbridge.controller.cluster.Cluster;
import dev.drawbridge.controller.cluster.Leases;
import dev.drawbridge.controller.cluster.Membership;
import dev.drawbridge.oauth.ApiScope;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.util.Map;

/** {@code GET /v1/cluster}: the controllers sharing this store, as this one sees them, and the leases of duties. */
final class ClusterRoutes implements HttpService {
    private final ApiContext ctx;
    private final Access access;

    ClusterRoutes(ApiContext ctx, Access access) {
        this.ctx = ctx;
        this.access = access;
    }

    @Override
    public void routing(HttpRules rules) {
        access.on(rules).get("/v1/cluster", ApiScope.NODES_READ, this::status)
                .post("/v1/cluster/promote", ApiScope.ADMIN, this::promote)
                .post("/v1/cluster/demote", ApiScope.ADMIN, this::demote);
    }

    private void promote(ServerRequest req, ServerResponse res) {
        long epoch;
        try {
            epoch = ctx.cluster().promote();
        } catch (IllegalStateException e) {
            throw new ApiException(409, "not-pacemaker", "Not managed by a resource manager", e.getMessage());
        }
        // The view, and the epoch this promotion took the active lease at.
        Json.send(res, 200, view(ctx.cluster(), ctx.clock().instant()).put("epoch", epoch));
    }

    private void demote(ServerRequest req, ServerResponse res) {
        try {
            ctx.cluster().demote();
        } catch (IllegalStateException e) {
            throw new ApiException(409, "not-pacemaker", "Not managed by a resource manager", e.getMessage());
        }
        Json.send(res, 200, view(ctx.cluster(), ctx.clock().instant()));
    }

    private void status(ServerRequest req, ServerResponse res) {
        Json.send(res, 200, view(ctx.cluster(), ctx.clock().instant()));
    }

    static ObjectNode view(Cluster cluster, java.time.Instant now) {
        Map<String, Integer> counts = cluster.counts();
        ObjectNode body = Json.object().put("self", cluster.membership().id())
                .put("mode", cluster.config().enabled() ? cluster.config().mode() : "single")
                .put("active", cluster.active())
                .put("dead_after_ms", cluster.deadAfter().toMillis())
                .put("fenced_writes", cluster.fencedWrites());
        ArrayNode members = body.putArray("members");
        for (Membership.Member m : cluster.membership().members()) {
            members.addObject().put("id", m.id()).put("name", m.name()).put("address", m.address())
                    .put("mode", m.mode()).put("self", m.self()).put("alive", m.alive())
                    .put("started_at", m.startedAt().toString())
                    .put("age_s", Math.max(0, Duration.between(m.startedAt(), now).toSeconds()))
                    .put("beats", m.beats()).put("quiet_ms", m.quiet().toMillis())
                    .put("nodes", counts.getOrDefault(m.id(), 0));
        }
        ArrayNode leases = body.putArray("leases");
        for (Leases.Lease l : cluster.leases().list()) {
            leases.addObject().put("name", l.name()).put("holder", l.holder()).put("epoch", l.epoch());
        }
        return body;
    }
}
