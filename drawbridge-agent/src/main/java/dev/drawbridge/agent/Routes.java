package dev.drawbridge.agent;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.security.cert.Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Serves {@link AgentApi} through Helidon: every request, whatever its path, goes to the API object. */
final class Routes {
    private final AgentApi api;

    Routes(AgentApi api) {
        this.api = api;
    }

    void register(HttpRouting.Builder r) {
        r.any(this::handle);
    }

    private void handle(ServerRequest req, ServerResponse res) {
        List<Certificate> peer = req.remotePeer().tlsCertificates().map(Arrays::asList).orElse(List.of());
        String method = req.prologue().method().text();
        byte[] body = method.equals("POST") && req.content().hasEntity() ? req.content().as(byte[].class) : new byte[0];
        AgentApi.Response answer = api.handle(new AgentApi.Request(method, req.path().path(),
                req.headers().first(HeaderNames.CONTENT_TYPE), req.headers().first(HeaderNames.create("Prefer")), body,
                peer));
        res.status(answer.status());
        res.header("Content-Type", answer.contentType());
        answer.location().ifPresent(l -> res.header("Location", l));
        res.send(answer.body());
    }
}
