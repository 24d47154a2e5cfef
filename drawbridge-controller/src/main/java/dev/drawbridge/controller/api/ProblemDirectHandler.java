package dev.drawbridge.controller.api;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Errors the HTTP server answers before any route runs (a request line or header too long, a path that does not
 * decode, a body over the server's limit) as RFC 9457 problem+json like every other error, naming what was wrong
 * and never the server's internals. The connection is closed after the answer.
 */
final class ProblemDirectHandler implements DirectHandler {
    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status status,
                                    ServerResponseHeaders headers, String message) {
        int code = status.code();
        String type = switch (code) {
            case 413 -> "body-too-large";
            case 414 -> "uri-too-long";
            case 431 -> "headers-too-large";
            case 505 -> "http-version-not-supported";
            default -> code >= 500 ? "internal-error" : "invalid-request";
        };
        String detail = switch (code) {
            case 413 -> "the request body is larger than the server accepts";
            case 414 -> "the request line is too long; send shorter paths and query strings";
            case 431 -> "the request headers are too large";
            case 505 -> "only HTTP/1.1 is served";
            default -> code >= 500 ? "the server could not handle this request; see its log"
                    : "the request is malformed (its request line, a header, or the path's encoding)";
        };
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "https://drawbridge.dev/problems/" + type);
        body.put("title", status.reasonPhrase());
        body.put("status", code);
        body.put("detail", detail);
        return TransportResponse.builder()
                .status(status)
                .headers(headers)
                .header(HeaderNames.CONTENT_TYPE, "application/problem+json")
                .entity(Json.bytes(body))
                .keepAlive(false)
                .build();
    }

    /** The same handler for every event the server can answer directly. */
    static DirectHandlers all() {
        var b = DirectHandlers.builder();
        ProblemDirectHandler h = new ProblemDirectHandler();
        for (EventType e : EventType.values()) {
            b.addHandler(e, h);
        }
        return b.build();
    }
}
