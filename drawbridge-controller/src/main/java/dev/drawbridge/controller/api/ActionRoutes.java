package dev.drawbridge.controller.api;

import dev.drawbridge.oauth.ApiScope;
import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.conductor.NodeActions;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Lifecycle actions ({@code POST /v1/nodes/{id}/actions}) and bootstrap payloads ({@code POST /v1/nodes/{id}/payload}). */
final class ActionRoutes implements HttpService {
    private static final Set<String> ACTION_FIELDS = Set.of("action", "image_url", "image_sha256", "target", "devices");
    private final ApiContext ctx;
    private final Access access;

    ActionRoutes(ApiContext ctx, Access access) {
        this.ctx = ctx;
        this.access = access;
    }

    @Override
    public void routing(HttpRules rules) {
        access.on(rules).post("/v1/nodes/{id}/actions", ApiScope.NODES_WRITE, this::act)
                .post("/v1/nodes/{id}/payload", ApiScope.CA_SIGN, this::payload);
    }

    private void act(ServerRequest req, ServerResponse res) {
        Fields f = Fields.of(Json.body(req, ctx.config().api().maxBodyBytes()), ACTION_FIELDS);
        String action = f.string("action");
        Map<String, String> params = new HashMap<>();
        for (String k : ACTION_FIELDS) {
            if (!k.equals("action")) {
                f.optionalString(k).ifPresent(v -> params.put(k, v));
            }
        }
        try {
            var node = ctx.actions().act(req.path().pathParameters().get("id"), action, params, "admin");
            Json.send(res, 202, Views.node(node));
        } catch (NodeActions.Refused e) {
            if (e.getMessage().startsWith("no node")) {
                throw ApiException.notFound(e.getMessage());
            }
            throw e.conflict() ? new ApiException(409, "invalid-transition", "Not allowed in this state", e.getMessage())
                    : ApiException.badRequest(e.getMessage());
        }
    }

    private void payload(ServerRequest req, ServerResponse res) {
        Optional<String> callback = Optional.empty();
        if (req.content().hasEntity()) {
            JsonNode body = Json.body(req, ctx.config().api().maxBodyBytes());
            Fields f = Fields.of(body, Set.of("mode", "controller_url"));
            String mode = f.optionalString("mode").orElse("poll");
            if (mode.equals("callback")) {
                callback = Optional.of(f.string("controller_url"));
            } else if (!mode.equals("poll")) {
                throw ApiException.badRequest("'mode' must be poll or callback");
            } else if (f.has("controller_url")) {
                throw ApiException.badRequest("a poll-mode payload names no controller_url: poll-only nodes never call us");
            }
        }
        Optional<String> url = callback;
        String id = req.path().pathParameters().get("id");
        String jws = EnrollRoutes.guard(() -> url.isPresent() ? ctx.enrollment().callbackPayload(id, url.get(), "admin")
                : ctx.enrollment().pollPayload(id, "admin"));
        res.header("Cache-Control", "no-store"); // the payload carries a one-time ticket
        Json.send(res, 201, Json.object().put("payload", jws).put("mode", url.isPresent() ? "callback" : "poll"));
    }

}
