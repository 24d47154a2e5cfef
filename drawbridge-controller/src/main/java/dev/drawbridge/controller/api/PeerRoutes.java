package dev.drawbridge.controller.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drawbridge.controller.trust.PeerService;
import dev.drawbridge.oauth.ApiScope;
import dev.drawbridge.oauth.PeerClient;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The peer API other controllers call with a {@code peer}-scoped token ({@code /v1/peer/...}: who this controller
 * is, whether it is healthy, and its view of its own verdict), and the operator's side of peering
 * ({@code /v1/peers}, admin): add a peer by URL and CA, call it, list, remove. Version 1 (docs/protocol.md).
 */
final class PeerRoutes implements HttpService {
    static final int VERSION = PeerService.VERSION;
    private final ApiContext ctx;
    private final Access access;

    PeerRoutes(ApiContext ctx, Access access) {
        this.ctx = ctx;
        this.access = access;
    }

    @Override
    public void routing(HttpRules rules) {
        access.on(rules).get("/v1/peer/identity", ApiScope.PEER, mutual(this::identity))
                .get("/v1/peer/health", ApiScope.PEER, mutual((req, res) -> Json.send(res, 200, Json.object()
                        .put("v", VERSION).put("status", "ok").put("at", ctx.clock().instant().toString()))))
                .get("/v1/peer/verdict", ApiScope.PEER, mutual((req, res) -> Json.send(res, 200, Json.object()
                        .put("v", VERSION).put("verdict", "unknown").put("reason", "this controller's own TPM is not"
                                + " attested: only nodes are"))))
                .get("/v1/peers", ApiScope.ADMIN, this::list)
                .post("/v1/peers", ApiScope.ADMIN, this::add)
                .post("/v1/peers/{id}/call", ApiScope.ADMIN, this::call)
                .delete("/v1/peers/{id}", ApiScope.ADMIN, this::remove);
    }

    /**
     * Peers call over mutual TLS: a {@code peer} token must be bound to the client certificate of the request
     * (RFC 8705), which the filter has already matched. The admin token (break-glass) is let through.
     */
    private static Handler mutual(Handler route) {
        return (req, res) -> {
            AuthFilter.Principal p = req.context().get(AuthFilter.Principal.class).orElseThrow();
            if (!p.admin() && !p.certificateBound()) {
                throw new ApiException(403, "mutual-tls-required", "Mutual TLS required",
                        "the peer API takes only certificate-bound tokens: register with"
                                + " tls_client_certificate_bound_access_tokens (or tls_client_auth) and connect with"
                                + " that TLS client certificate");
            }
            route.handle(req, res);
        };
    }

    private void identity(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.object().put("v", VERSION).put("id", PeerService.controllerId(ctx.ca().root())).put("role", "controller")
                .put("issuer", ctx.trust().oauth().settings().issuer().toString())
                .put("ca_sha256", PeerService.rootSha256(ctx.ca().root()));
        body.putArray("versions").add(VERSION);
        req.context().get(AuthFilter.Principal.class).ifPresent(p -> body.put("you", p.name()));
        Json.send(res, 200, body);
    }

    private void list(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.object();
        ArrayNode items = body.putArray("items");
        ctx.peers().list().forEach(p -> items.add(view(p)));
        Json.send(res, 200, body);
    }

    private void add(ServerRequest req, ServerResponse res) {
        Fields f = Fields.of(Json.body(req, ctx.config().api().maxBodyBytes()), Set.of("url", "ca"));
        PeerService.Peer p = guard(() -> ctx.peers().add(f.string("url"), f.string("ca")));
        res.header("Location", "/v1/peers/" + p.id());
        Json.send(res, 201, view(p));
    }

    private void call(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        Map<String, Object> answers = guard(() -> ctx.peers().call(id));
        ObjectNode body = view(ctx.peers().find(id).orElseThrow());
        body.set("answers", Json.MAPPER.valueToTree(answers));
        Json.send(res, 200, body);
    }

    private void remove(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        var problem = guard(() -> ctx.peers().remove(id));
        Json.send(res, 200, Json.object().put("removed", id).put("problem", problem.orElse(null)));
    }

    private static <T> T guard(Supplier<T> call) {
        try {
            return call.get();
        } catch (PeerClient.Failure e) {
            throw switch (e.kind()) {
                case NOT_FOUND -> ApiException.notFound(e.getMessage());
                case BAD_INPUT -> ApiException.badRequest(e.getMessage());
                case PEER -> new ApiException(502, "peer-failed", "The peer failed or refused", e.getMessage());
            };
        }
    }

    private static ObjectNode view(PeerService.Peer p) {
        return Json.object().put("id", p.id()).put("url", p.url()).put("client_id", p.clientId())
                .put("peer_id", p.peerId().orElse(null)).put("peer_role", p.role().orElse(null))
                .put("added_at", p.addedAt().toString())
                .put("last_contact_at", p.lastContact().map(Object::toString).orElse(null))
                .put("last_status", p.lastStatus().orElse(null)).put("last_detail", p.lastDetail().orElse(null));
    }

}
