package dev.drawbridge.controller.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** Writes RFC 9457 {@code application/problem+json} answers. */
final class Problems {
    static final String TYPE_BASE = "https://drawbridge.dev/problems/";

    private Problems() {}

    static void send(ServerRequest req, ServerResponse res, ApiException e) {
        ObjectNode body = Json.MAPPER.createObjectNode()
                .put("type", TYPE_BASE + e.type())
                .put("title", e.title())
                .put("status", e.status())
                .put("detail", e.getMessage())
                .put("instance", req.path().rawPath());
        e.headers().forEach(res::header);
        res.status(e.status());
        res.header("Content-Type", "application/problem+json");
        res.send(Json.bytes(body));
    }
}
