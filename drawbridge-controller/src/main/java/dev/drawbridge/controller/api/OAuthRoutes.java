package dev.drawbridge.controller.api;

import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import dev.drawbridge.oauth.AuthorizationServer;
import dev.drawbridge.oauth.Endpoints;
import dev.drawbridge.oauth.Peer;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The OAuth 2.0 endpoints. Each request is copied into the Nimbus SDK's HTTP request (method, URL, the headers OAuth
 * reads, a body of at most {@link #MAX_BODY} bytes, the TLS client certificate) and the authorization server's
 * answer is copied back, so all OAuth parsing and every RFC 6749 error is the SDK's and the server's. Failed client
 * authentications, and every registration, count toward the same per-address throttle as the API's.
 */
final class OAuthRoutes implements HttpService {
    static final int MAX_BODY = 64 * 1024;
    private final ApiContext ctx;
    private final AuthFailures failures;

    OAuthRoutes(ApiContext ctx, AuthFailures failures) {
        this.ctx = ctx;
        this.failures = failures;
    }

    private AuthorizationServer oauth() {
        return ctx.trust().oauth();
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get(Endpoints.METADATA, (req, res) -> json(res, oauth().metadata()))
                .get(Endpoints.JWKS, (req, res) -> json(res, oauth().jwks()))
                .post(Endpoints.REGISTER, (req, res) -> guarded(req, res, () -> {
                    // Registration is open to anyone, and each one writes a client and an audit row: every
                    // attempt, granted or not, spends the address's per-minute budget, so none can be flooded.
                    failures.failed(req.remotePeer().host(), "registration");
                    return oauth().register(nimbus(req), peer(req));
                }))
                .get(Endpoints.REGISTER + "/{id}", (req, res) -> guarded(req, res, () -> oauth().readClient(id(req),
                        nimbus(req))))
                .put(Endpoints.REGISTER + "/{id}", (req, res) -> guarded(req, res, () -> oauth().updateClient(id(req),
                        nimbus(req), peer(req))))
                .delete(Endpoints.REGISTER + "/{id}", (req, res) -> guarded(req, res, () -> oauth().deleteClient(
                        id(req), nimbus(req))))
                .post(Endpoints.TOKEN, (req, res) -> guarded(req, res, () -> oauth().token(nimbus(req), peer(req))))
                .post(Endpoints.DEVICE_AUTHORIZATION, (req, res) -> guarded(req, res, () -> oauth()
                        .deviceAuthorization(nimbus(req), peer(req))))
                .post(Endpoints.INTROSPECT, (req, res) -> guarded(req, res, () -> {
                    boolean admin = admin(req);
                    return oauth().introspect(nimbus(req, admin), peer(req), admin);
                }))
                .post(Endpoints.REVOKE, (req, res) -> guarded(req, res, () -> {
                    boolean admin = admin(req);
                    return oauth().revoke(nimbus(req, admin), peer(req), admin);
                }));
    }

    @FunctionalInterface
    private interface Call {
        HTTPResponse run();
    }

    /** Runs {@code call} unless the address is throttled, and counts a 401 it answers as a failed authentication. */
    private void guarded(ServerRequest req, ServerResponse res, Call call) {
        String source = req.remotePeer().host();
        var retry = failures.retryAfter(source);
        if (retry.isPresent()) {
            HTTPResponse slow = new HTTPResponse(429);
            slow.setHeader("Retry-After", Long.toString(retry.getAsLong()));
            slow.setHeader("Content-Type", "application/json");
            slow.setBody("{\"error\":\"slow_down\",\"error_description\":\"this address failed to authenticate too"
                    + " often; try again in " + retry.getAsLong() + " s\"}");
            send(res, slow);
            return;
        }
        HTTPResponse answer = call.run();
        if (answer.getStatusCode() == 401) {
            failures.failed(source, "oauth-client");
        }
        send(res, answer);
    }

    private static String id(ServerRequest req) {
        return req.path().pathParameters().get("id");
    }

    private boolean admin(ServerRequest req) {
        return req.headers().first(HeaderNames.AUTHORIZATION)
                .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(h -> ctx.adminToken().matches(h.substring(7).trim())).orElse(false);
    }

    private HTTPRequest nimbus(ServerRequest req) {
        return nimbus(req, false);
    }

    /** The request as the SDK sees it; {@code dropAuthorization}: the admin token was checked here already. */
    private HTTPRequest nimbus(ServerRequest req, boolean dropAuthorization) {
        HTTPRequest.Method method = HTTPRequest.Method.valueOf(req.prologue().method().text());
        String query = req.query().rawValue();
        URI url = URI.create(ctx.trust().oauth().settings().issuer() + req.path().rawPath()
                + (query.isEmpty() ? "" : "?" + query));
        HTTPRequest out = new HTTPRequest(method, url);
        req.headers().first(HeaderNames.CONTENT_TYPE).ifPresent(v -> out.setHeader("Content-Type", v));
        req.headers().first(HeaderNames.ACCEPT).ifPresent(v -> out.setHeader("Accept", v));
        if (!dropAuthorization) {
            req.headers().first(HeaderNames.AUTHORIZATION).ifPresent(v -> out.setHeader("Authorization", v));
        }
        byte[] body = Json.Bodies.read(req, MAX_BODY);
        if (body.length > 0) {
            out.setBody(new String(body, StandardCharsets.UTF_8));
        }
        certificate(req).stream().findFirst().ifPresent(out::setClientX509Certificate);
        return out;
    }

    private static Peer peer(ServerRequest req) {
        try {
            return new Peer(InetAddress.getByName(req.remotePeer().host()), certificate(req));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("the peer address " + req.remotePeer().host() + " does not parse", e);
        }
    }

    private static List<X509Certificate> certificate(ServerRequest req) {
        List<X509Certificate> out = new ArrayList<>();
        req.remotePeer().tlsCertificates().ifPresent(certs -> {
            for (var c : certs) {
                if (c instanceof X509Certificate x) {
                    out.add(x);
                }
            }
        });
        return out;
    }

    private static void send(ServerResponse res, HTTPResponse answer) {
        res.status(answer.getStatusCode());
        for (Map.Entry<String, List<String>> h : answer.getHeaderMap().entrySet()) {
            if (h.getKey() != null && !h.getValue().isEmpty()) {
                res.header(h.getKey(), h.getValue().toArray(String[]::new));
            }
        }
        String body = answer.getBody();
        if (body == null || body.isEmpty()) {
            res.send();
        } else {
            res.send(body.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void json(ServerResponse res, String body) {
        res.header("Content-Type", "application/json");
        res.header("Cache-Control", "max-age=60");
        res.send(body.getBytes(StandardCharsets.UTF_8));
    }
}
