package dev.drawbridge.controller.api;

import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The public PKI endpoints: root, CRL and the RFC 6960 OCSP responder (POST, and GET per appendix A.1). */
final class CaRoutes implements HttpService {
    private static final String OCSP_PREFIX = "/v1/ca/ocsp/";
    private static final int MAX_OCSP_REQUEST = 16 * 1024;
    private final ApiContext ctx;
    private final Access access;

    CaRoutes(ApiContext ctx, Access access) {
        this.ctx = ctx;
        this.access = access;
    }

    @Override
    public void routing(HttpRules rules) {
        String why = "a public document of the CA";
        access.on(rules).open(Method.GET, "/v1/ca/root", why, this::root)
                .open(Method.GET, "/v1/ca/crl", why, this::crl)
                .open(Method.POST, "/v1/ca/ocsp", why, this::ocspPost)
                .open(Method.GET, "/v1/ca/ocsp/*", why, this::ocspGet);
    }

    private void root(ServerRequest req, ServerResponse res) {
        res.header("Content-Type", "application/x-pem-file");
        res.send(ctx.ca().rootPem().getBytes(StandardCharsets.US_ASCII));
    }

    private void crl(ServerRequest req, ServerResponse res) {
        res.header("Content-Type", "application/pkix-crl");
        res.send(ctx.revocations().crl());
    }

    private void ocspPost(ServerRequest req, ServerResponse res) {
        String type = req.headers().contentType().map(t -> t.mediaType().text()).orElse("");
        if (!type.equalsIgnoreCase("application/ocsp-request")) {
            throw new ApiException(415, "unsupported-media-type", "Unsupported media type",
                    "send an OCSP request as Content-Type: application/ocsp-request");
        }
        answer(res, Json.Bodies.read(req, MAX_OCSP_REQUEST));
    }

    private void ocspGet(ServerRequest req, ServerResponse res) {
        String raw = req.path().rawPath();
        String encoded = raw.substring(raw.indexOf(OCSP_PREFIX) + OCSP_PREFIX.length());
        byte[] der;
        try {
            der = Base64.getDecoder().decode(URLDecoder.decode(encoded, StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("the OCSP GET path is not URL-encoded base64 of a DER request (RFC 6960 A.1)");
        }
        if (der.length > MAX_OCSP_REQUEST) {
            throw ApiException.badRequest("the OCSP request is too large");
        }
        answer(res, der);
    }

    private void answer(ServerResponse res, byte[] requestDer) {
        // A malformed request still gets a DER OCSPResponse (malformedRequest), as RFC 6960 §2.3 asks.
        res.header("Content-Type", "application/ocsp-response");
        res.header("Cache-Control", "no-store");
        res.send(ctx.revocations().ocsp(requestDer));
    }
}
