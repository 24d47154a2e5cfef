package dev.drawbridge.agent;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.cert.Certificate;
import java.util.Arrays;
import java.util.List;

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
        byte[] body = new byte[0];
        if (method.equals("POST") && req.content().hasEntity()) {
            try (InputStream in = req.content().inputStream()) {
                body = in.readNBytes((int) Agent.MAX_BODY_BYTES + 1);
                if (body.length > Agent.MAX_BODY_BYTES) {
                    in.transferTo(OutputStream.nullOutputStream()); // bounded by the server's drain limit
                    send(res, AgentApi.problem(req.path().path(), new ApiProblem(413, "too-large",
                            "Request body too large", "the agent takes at most " + Agent.MAX_BODY_BYTES + " bytes")));
                    return;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        send(res, api.handle(new AgentApi.Request(method, req.path().path(),
                req.headers().first(HeaderNames.CONTENT_TYPE), req.headers().first(HeaderNames.create("Prefer")),
                req.headers().first(HeaderNames.AUTHORIZATION), body,
                peer, req.headers().first(HeaderNames.create("Drawbridge-Epoch")))));
    }

    private static void send(ServerResponse res, AgentApi.Response answer) {
        res.status(answer.status());
        res.header("Content-Type", answer.contentType());
        answer.location().ifPresent(l -> res.header("Location", l));
        res.send(answer.body());
    }
}
