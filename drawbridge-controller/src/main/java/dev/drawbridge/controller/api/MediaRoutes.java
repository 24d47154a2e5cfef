package dev.drawbridge.controller.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drawbridge.controller.media.VirtualMediaService;
import dev.drawbridge.oauth.ApiScope;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * The Redfish virtual-media channel: {@code POST /v1/nodes/{id}/virtual-media} has the node's BMC insert a config
 * drive served once at {@code GET /v1/media/{token}} (open: the 256-bit token in the URL is the credential, since a
 * BMC presents no bearer token); {@code GET} lists a node's insertions and {@code DELETE} ejects the current one.
 */
final class MediaRoutes implements HttpService {
    private static final String TOKEN = "[A-Za-z0-9_-]{43}";
    private final ApiContext ctx;
    private final Access access;

    MediaRoutes(ApiContext ctx, Access access) {
        this.ctx = ctx;
        this.access = access;
    }

    @Override
    public void routing(HttpRules rules) {
        access.on(rules).post("/v1/nodes/{id}/virtual-media", ApiScope.CA_SIGN, this::insert)
                .get("/v1/nodes/{id}/virtual-media", ApiScope.NODES_READ, this::list)
                .delete("/v1/nodes/{id}/virtual-media", ApiScope.CA_SIGN, this::eject)
                .open(Method.GET, "/v1/media/{token}", "the one-time token in the URL, handed only to the node's BMC",
                        this::fetch);
    }

    private void insert(ServerRequest req, ServerResponse res) {
        if (req.content().hasEntity()) {
            Fields.of(Json.body(req, ctx.config().api().maxBodyBytes()), java.util.Set.of());
        }
        var inserted = guard(() -> ctx.media().insert(req.path().pathParameters().get("id"), "admin"));
        res.header("Cache-Control", "no-store"); // the URL is a one-time credential
        Json.send(res, 201, view(inserted.session()).put("url", inserted.url()));
    }

    private void list(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.object();
        ArrayNode items = body.putArray("items");
        guard(() -> ctx.media().sessions(req.path().pathParameters().get("id"))).forEach(s -> items.add(view(s)));
        Json.send(res, 200, body);
    }

    private void eject(ServerRequest req, ServerResponse res) {
        Json.send(res, 200, view(guard(() -> ctx.media().eject(req.path().pathParameters().get("id"), "admin"))));
    }

    private void fetch(ServerRequest req, ServerResponse res) {
        String token = req.path().pathParameters().get("token");
        if (!token.matches(TOKEN)) {
            throw ApiException.notFound("no such media: the URL is unknown");
        }
        String from = req.remotePeer().address() instanceof InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getHostAddress() : req.remotePeer().host();
        byte[] image = guard(() -> ctx.media().fetch(token, from));
        res.header("Content-Type", "application/x-iso9660-image");
        res.header("Content-Disposition", "attachment; filename=\"config-2.iso\"");
        res.header("Cache-Control", "no-store");
        res.send(image);
    }

    private static ObjectNode view(VirtualMediaService.Session s) {
        ObjectNode o = Json.object().put("id", s.id()).put("node_id", s.nodeId()).put("bmc", s.bmc())
                .put("state", s.state()).put("bytes", s.bytes()).put("created_at", s.createdAt().toString())
                .put("expires_at", s.expiresAt().toString()).put("attempts", s.attempts()).put("detail", s.detail());
        s.fetchedAt().ifPresent(t -> o.put("fetched_at", t.toString()));
        s.fetchedBy().ifPresent(f -> o.put("fetched_by", f));
        s.ejectedAt().ifPresent(t -> o.put("ejected_at", t.toString()));
        return o;
    }

    private static <T> T guard(Supplier<T> call) {
        try {
            return call.get();
        } catch (VirtualMediaService.Refused e) {
            String title = switch (e.status()) {
                case 404 -> "Not found";
                case 409 -> "Conflict";
                case 410 -> "Gone";
                case 502 -> "BMC failed";
                default -> "Unavailable";
            };
            throw new ApiException(e.status(), e.type(), title, e.getMessage());
        }
    }
}
