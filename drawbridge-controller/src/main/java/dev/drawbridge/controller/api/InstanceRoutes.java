package dev.drawbridge.controller.api;

import dev.drawbridge.oauth.ApiScope;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drawbridge.controller.placement.Instance;
import dev.drawbridge.controller.placement.Placement;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Set;

/** Workload instances: placed on trusted hosts, listed, deleted. */
final class InstanceRoutes implements HttpService {
    private final ApiContext ctx;
    private final Access access;

    InstanceRoutes(ApiContext ctx, Access access) {
        this.ctx = ctx;
        this.access = access;
    }

    @Override
    public void routing(HttpRules rules) {
        access.on(rules).post("/v1/instances", ApiScope.NODES_WRITE, this::createInstance)
                .get("/v1/instances", ApiScope.NODES_READ, this::instances)
                .get("/v1/instances/{id}", ApiScope.NODES_READ, this::instance)
                .delete("/v1/instances/{id}", ApiScope.NODES_WRITE, this::deleteInstance);
    }

    private void createInstance(ServerRequest req, ServerResponse res) {
        Fields f = Fields.of(Json.body(req, ctx.config().api().maxBodyBytes()), Set.of("name", "cpus", "memory_mb"));
        String name = f.string("name");
        if (!name.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
            throw ApiException.badRequest("'name' must be a lower-case name of letters, digits and '-'");
        }
        int cpus = positive(f, "cpus", 1024);
        long mem = positive(f, "memory_mb", 16 * 1024 * 1024);
        try {
            Json.send(res, 201, view(ctx.placement().create(name, cpus, mem, "admin")));
        } catch (Placement.NameTaken e) {
            throw new ApiException(409, "instance-exists", "Instance exists", "an instance named '" + name + "' exists");
        }
    }

    private static int positive(Fields f, String field, int max) {
        long v = f.wholeNumber(field);
        if (v < 1 || v > max) {
            throw ApiException.badRequest("'" + field + "' must be a whole number from 1 to " + max);
        }
        return (int) v;
    }

    private void instances(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.object();
        ArrayNode items = body.putArray("items");
        ctx.placement().list().forEach(i -> items.add(view(i)));
        Json.send(res, 200, body);
    }

    private void instance(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        Json.send(res, 200, view(ctx.placement().find(id).orElseThrow(() -> ApiException.notFound("no instance '"
                + NodeInput.abbreviate(id) + "'"))));
    }

    /** Deletes an instance and gives its room back to its host; answers with what was deleted. */
    private void deleteInstance(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        Json.send(res, 200, view(ctx.placement().delete(id, "admin").orElseThrow(() -> ApiException.notFound(
                "no instance '" + NodeInput.abbreviate(id) + "'; GET /v1/instances lists them"))));
    }

    private static ObjectNode view(Instance i) {
        return Json.object().put("id", i.id()).put("name", i.name()).put("cpus", i.cpus()).put("memory_mb", i.memoryMb())
                .put("node_id", i.nodeId().orElse(null)).put("state", i.state()).put("reason", i.reason().orElse(null));
    }
}
