package dev.drawbridge.controller.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drawbridge.controller.discovery.DiscoveryService;
import dev.drawbridge.controller.discovery.NetworkPlan;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeQuery;
import dev.drawbridge.oauth.ApiScope;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * What DNS-SD discovery heard ({@code GET /v1/discovered}, {@code DELETE /v1/discovered/{id}} to forget a device and
 * clear its flag) and the internal network's radvd plan ({@code GET /v1/network/plan}).
 */
final class DiscoveryRoutes implements HttpService {
    /** The most nodes the plan lists addresses for. */
    static final int PLAN_MAX_NODES = 10_000;
    private final ApiContext ctx;
    private final Access access;

    DiscoveryRoutes(ApiContext ctx, Access access) {
        this.ctx = ctx;
        this.access = access;
    }

    @Override
    public void routing(HttpRules rules) {
        access.on(rules).get("/v1/discovered", ApiScope.NODES_READ, this::list)
                .delete("/v1/discovered/{id}", ApiScope.NODES_WRITE, this::forget)
                .get("/v1/network/plan", ApiScope.NODES_READ, this::plan);
    }

    private void list(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.object();
        body.put("enabled", ctx.config().discovery().enabled());
        ArrayNode items = body.putArray("items");
        for (DiscoveryService.Device d : ctx.discovery().list()) {
            items.add(view(d));
        }
        Json.send(res, 200, body);
    }

    private ObjectNode view(DiscoveryService.Device d) {
        ObjectNode o = Json.object().put("id", d.id()).put("role", d.role()).put("v", d.version())
                .put("fingerprint", d.fingerprint()).put("instance", d.instance()).put("port", d.port())
                .put("first_seen", d.firstSeen().toString()).put("last_seen", d.lastSeen().toString())
                .put("node_id", d.nodeId().orElse(null))
                .put("node", d.nodeId().flatMap(id -> ctx.inventory().find(id)).map(Node::name).orElse(null))
                .put("matched_by", d.matchedBy().orElse(null)).put("flagged", d.flagged().orElse(null));
        ArrayNode a = o.putArray("addresses");
        d.addresses().forEach(a::add);
        return o;
    }

    private void forget(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        String actor = req.context().get(AuthFilter.Principal.class).map(AuthFilter.Principal::name).orElse("?");
        if (!ctx.discovery().forget(id, actor)) {
            throw ApiException.notFound("no discovered device '" + NodeInput.abbreviate(id) + "'");
        }
        Json.send(res, 200, Json.object().put("forgotten", id));
    }

    private void plan(ServerRequest req, ServerResponse res) {
        List<Node> nodes = new ArrayList<>();
        NodeQuery q = NodeQuery.first(1000);
        while (nodes.size() < PLAN_MAX_NODES) {
            List<Node> page = ctx.inventory().list(q);
            nodes.addAll(page);
            if (page.size() < 1000) {
                break;
            }
            q = q.after(page.getLast().name());
        }
        NetworkPlan.Plan p;
        try {
            p = NetworkPlan.make(ctx.config().network(), ctx.ca().root(), nodes);
        } catch (IllegalArgumentException e) {
            throw new ApiException(500, "bad-network-config", "The network configuration is wrong", e.getMessage()
                    + "; fix it in the controller's configuration and restart");
        }
        ObjectNode body = Json.object().put("prefix", p.prefix()).put("interface", p.iface())
                .put("pair_role", p.pairRole()).put("route_preference", p.preference()).put("radvd_conf", p.radvdConf());
        ArrayNode e = body.putArray("expected");
        p.expected().forEach(x -> e.add(Json.object().put("node", x.node()).put("mac", x.mac())
                .put("address", x.address())));
        Json.send(res, 200, body);
    }
}
