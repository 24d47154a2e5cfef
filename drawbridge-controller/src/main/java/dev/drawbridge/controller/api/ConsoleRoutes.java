package dev.drawbridge.controller.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.enroll.ConsoleSigning;
import dev.drawbridge.controller.enroll.ConsoleSigning.Result;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;
import java.util.Set;

/**
 * Management-console certificate exchange, compatible with the IBM bmcweb endpoints: the console posts
 * {@code {"CsrString": PEM}} and gets {@code {"Certificate": PEM}}. Only registered when
 * {@code management-console.enabled} is true, so otherwise the paths answer 404.
 */
final class ConsoleRoutes implements HttpService {
    private final ApiContext ctx;

    ConsoleRoutes(ApiContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/ibm/v1/Host/Certificate/root", this::root)
                .post("/ibm/v1/Host/Actions/SignCSR", this::sign);
    }

    private void root(ServerRequest req, ServerResponse res) {
        Json.send(res, 200, Json.object().put("Certificate", ctx.console().rootPem()));
    }

    private void sign(ServerRequest req, ServerResponse res) {
        JsonNode body = Json.body(req, ctx.config().api().maxBodyBytes());
        String csr = Fields.of(body, Set.of("CsrString")).string("CsrString");
        if (!csr.contains("-----BEGIN CERTIFICATE REQUEST-----")) {
            throw ApiException.badRequest("'CsrString' must hold a PEM certificate request");
        }
        ConsoleSigning signing = ctx.console();
        Result result = signing.sign(csr);
        switch (result) {
            case Result.Complete c -> Json.send(res, 200, Json.object().put("Certificate", c.certificatePem()));
            case Result.BadCsr b -> throw new ApiException(400, "bad-csr", "Bad CSR", b.message());
            case Result.NotReady n -> throw new ApiException(503, "ca-not-ready", "The CA is not ready", n.message(),
                    Map.of("Retry-After", Integer.toString(n.retryAfterSeconds())));
            case Result.Failed f -> throw new ApiException(500, "ca-failed", "The CA failed", f.message());
        }
    }
}
