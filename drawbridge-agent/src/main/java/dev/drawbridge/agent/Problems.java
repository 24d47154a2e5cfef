package dev.drawbridge.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.drawbridge.protocol.Wire;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes RFC 9457 {@code application/problem+json} answers. */
final class Problems {
    static final String TYPE_BASE = "https://drawbridge.dev/problems/";

    private Problems() {}

    static void send(ServerRequest req, ServerResponse res, ApiProblem p) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", TYPE_BASE + p.type());
        body.put("title", p.title());
        body.put("status", p.status());
        body.put("detail", p.getMessage());
        body.put("instance", req.path().rawPath());
        res.status(p.status());
        res.header("Content-Type", "application/problem+json");
        try {
            res.send(Wire.JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
