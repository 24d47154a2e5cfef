package dev.drawbridge.controller.api;

import dev.drawbridge.oauth.ApiScope;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.enroll.ConsoleSigning;
import dev.drawbridge.controller.enroll.ConsoleSigning.Result;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Management-console certificate exchange, compatible with the IBM bmcweb endpoints: the console posts
 * {@code {"CsrString": PEM}} and gets {@code {"Certificate": PEM}}. Only registered when
 * {@code management-console.enabled} is true, so otherwise the paths answer 404.
 *
 * <p>SignCSR is the hot path, so its one-field body is read with Jackson's streaming parser and the answer is
 * written with its streaming generator instead of building trees. Any body that is not exactly one
 * {@code CsrString} string goes through the same tree parsing and field checks as every other route, so bad input
 * gets the same answers as before.
 */
final class ConsoleRoutes implements HttpService {
    private static final String FIELD = "CsrString";
    private final ApiContext ctx;
    private final Access access;

    ConsoleRoutes(ApiContext ctx, Access access) {
        this.ctx = ctx;
        this.access = access;
    }

    @Override
    public void routing(HttpRules rules) {
        access.on(rules).get("/ibm/v1/Host/Certificate/root", ApiScope.CA_SIGN, this::root)
                .post("/ibm/v1/Host/Actions/SignCSR", ApiScope.CA_SIGN, this::sign);
    }

    private void root(ServerRequest req, ServerResponse res) {
        Json.send(res, 200, Json.object().put("Certificate", ctx.console().rootPem()));
    }

    private void sign(ServerRequest req, ServerResponse res) {
        String csr = csrString(req);
        if (!csr.contains("-----BEGIN CERTIFICATE REQUEST-----")) {
            throw ApiException.badRequest("'CsrString' must hold a PEM certificate request");
        }
        ConsoleSigning signing = ctx.console();
        Result result = signing.sign(csr);
        switch (result) {
            case Result.Complete c -> {
                res.status(200);
                res.header("Content-Type", "application/json");
                res.send(certificateJson(c.certificatePem()));
            }
            case Result.BadCsr b -> throw new ApiException(400, "bad-csr", "Bad CSR", b.message());
            case Result.NotReady n -> throw new ApiException(503, "ca-not-ready", "The CA is not ready", n.message(),
                    Map.of("Retry-After", Integer.toString(n.retryAfterSeconds())));
            case Result.Failed f -> throw new ApiException(500, "ca-failed", "The CA failed", f.message());
        }
    }

    /** The CsrString field, with the same checks and problem answers as {@code Json.body} and {@code Fields}. */
    private String csrString(ServerRequest req) {
        String type = req.headers().contentType().map(t -> t.mediaType().text()).orElse("");
        if (!type.equalsIgnoreCase("application/json")) {
            return Fields.of(Json.body(req, ctx.config().api().maxBodyBytes()), Set.of(FIELD)).string(FIELD);
        }
        byte[] raw = Json.Bodies.read(req, ctx.config().api().maxBodyBytes());
        return onlyCsrString(raw).orElseGet(() -> Fields.of(tree(raw), Set.of(FIELD)).string(FIELD));
    }

    /** The value when the body is exactly {@code {"CsrString": "..."}}; otherwise empty, for the general path. */
    private static Optional<String> onlyCsrString(byte[] raw) {
        try (JsonParser p = Json.MAPPER.getFactory().createParser(raw)) {
            if (p.nextToken() != JsonToken.START_OBJECT || p.nextToken() != JsonToken.FIELD_NAME
                    || !p.currentName().equals(FIELD) || p.nextToken() != JsonToken.VALUE_STRING) {
                return Optional.empty();
            }
            String value = p.getText();
            if (p.nextToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                return Optional.empty();
            }
            return Optional.of(value);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** As {@code Json.body} after the content type and size checks. */
    private static JsonNode tree(byte[] raw) {
        JsonNode node;
        try {
            node = Json.BODY.readTree(raw);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.badRequest("the body could not be read: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw ApiException.badRequest("the body must be a JSON object");
        }
        return node;
    }

    /** {@code {"Certificate": pem}}, byte for byte what Jackson writes for the one-field object. */
    private static byte[] certificateJson(String pem) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(pem.length() + 64);
        try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("Certificate", pem);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
