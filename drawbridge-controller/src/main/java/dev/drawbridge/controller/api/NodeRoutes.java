package dev.drawbridge.controller.api;

import dev.drawbridge.oauth.ApiScope;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drawbridge.controller.inventory.Inventory;
import dev.drawbridge.controller.inventory.NewNode;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeQuery;
import dev.drawbridge.controller.inventory.NodeState;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Node inventory: {@code /v1/nodes}. Every change is one transaction together with its audit event. */
final class NodeRoutes implements HttpService {
    private static final int MAX_PAGE = 1000;
    private final ApiContext ctx;
    private final Access access;

    NodeRoutes(ApiContext ctx, Access access) {
        this.ctx = ctx;
        this.access = access;
    }

    @Override
    public void routing(HttpRules rules) {
        access.on(rules).post("/v1/nodes", ApiScope.NODES_WRITE, this::create)
                .get("/v1/nodes", ApiScope.NODES_READ, this::list)
                .get("/v1/nodes/{id}", ApiScope.NODES_READ, this::show)
                .patch("/v1/nodes/{id}", ApiScope.NODES_WRITE, this::patch)
                .delete("/v1/nodes/{id}", ApiScope.NODES_WRITE, this::delete);
    }

    private void create(ServerRequest req, ServerResponse res) {
        NewNode input = NodeInput.create(Json.body(req, ctx.config().api().maxBodyBytes()));
        Node node;
        try {
            node = ctx.inventory().create(input);
        } catch (Inventory.NameTaken e) {
            throw new ApiException(409, "node-exists", "Node exists",
                    "a node named '" + input.name() + "' is already in inventory");
        }
        res.header("Location", "/v1/nodes/" + node.id());
        Json.send(res, 201, Views.node(node));
    }

    private void list(ServerRequest req, ServerResponse res) {
        Optional<NodeState> state = Query.param(req, "state").map(NodeRoutes::state);
        Optional<String> after = Query.param(req, "after");
        int limit = Query.param(req, "limit").map(NodeRoutes::limit).orElse(100);
        List<Node> page = ctx.inventory().list(new NodeQuery(state, after, limit));
        ObjectNode body = Json.object();
        page.forEach(n -> body.withArray("items").add(Views.node(n)));
        body.withArray("items");
        body.put("next", page.size() == limit ? page.get(page.size() - 1).name() : null);
        Json.send(res, 200, body);
    }

    private void show(ServerRequest req, ServerResponse res) {
        Json.send(res, 200, Views.node(find(req)));
    }

    private void patch(ServerRequest req, ServerResponse res) {
        var input = NodeInput.patch(Json.body(req, ctx.config().api().maxBodyBytes()));
        String id = find(req).id();
        Node node = ctx.inventory().patch(id, input).orElseThrow(() -> missing(id));
        Json.send(res, 200, Views.node(node));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        Node node = find(req);
        if (!ctx.inventory().delete(node)) {
            throw missing(node.id());
        }
        res.status(204).send();
    }

    private Node find(ServerRequest req) {
        String id = req.path().pathParameters().get("id");
        return ctx.inventory().find(id).orElseThrow(() -> missing(id));
    }

    static ApiException missing(String id) {
        return ApiException.notFound("no node '" + NodeInput.abbreviate(id) + "' in inventory");
    }

    private static NodeState state(String s) {
        try {
            return NodeState.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("'" + NodeInput.abbreviate(s) + "' is not a node state; one of "
                    + List.of(NodeState.values()).stream().map(NodeState::wire).toList());
        }
    }

    static int limit(String s) {
        try {
            int n = Integer.parseInt(s);
            if (n >= 1 && n <= MAX_PAGE) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the error below
        }
        throw ApiException.badRequest("'limit' must be a whole number from 1 to " + MAX_PAGE);
    }
}
