package dev.drawbridge.controller.api;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.Map;
import java.util.Optional;

/**
 * Default deny: every {@code /v1} path needs the admin bearer token except the public CA endpoints and
 * {@code /v1/enroll} (which a ticket authorises). Console endpoints take {@code X-Auth-Token} or a bearer.
 */
final class AuthFilter implements Filter {
    private static final Map<String, String> CHALLENGE = Map.of("WWW-Authenticate", "Bearer realm=\"drawbridge\"");
    private final AdminToken token;
    private final AuthFailures failures;

    AuthFilter(AdminToken token, AuthFailures failures) {
        this.token = token;
        this.failures = failures;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        boolean console = path.startsWith("/ibm/");
        if (!(path.startsWith("/v1") || console) || path.startsWith("/v1/ca/")) {
            chain.proceed(); // health, metrics and the CA's public documents are never throttled
            return;
        }
        String source = req.remotePeer().host();
        var retry = failures.retryAfter(source);
        if (retry.isPresent()) {
            Problems.send(req, res, new ApiException(429, "too-many-failures", "Too many failed authentications",
                    "this address failed to authenticate too often; try again in " + retry.getAsLong() + " s",
                    Map.of("Retry-After", Long.toString(retry.getAsLong()))));
            return;
        }
        if (isPublic(path)) {
            chain.proceed();
            if (path.equals("/v1/enroll") && res.status().code() == 401) {
                failures.failed(source, "ticket"); // an unknown or wrong ticket
            }
            return;
        }
        Optional<String> presented = bearer(req).or(() -> console
                ? req.headers().first(HeaderNames.create("X-Auth-Token")) : Optional.empty());
        if (presented.isEmpty()) {
            failures.failed(source, "bearer");
            Problems.send(req, res, new ApiException(401, "unauthorized", "Authentication required",
                    "send 'Authorization: Bearer <token>' (the admin token is in the data directory's admin.token)",
                    CHALLENGE));
            return;
        }
        if (!token.matches(presented.get())) {
            failures.failed(source, "bearer");
            Problems.send(req, res, new ApiException(401, "unauthorized", "Authentication failed",
                    "the token is not valid for this controller", CHALLENGE));
            return;
        }
        chain.proceed();
    }

    static boolean isPublic(String path) {
        return path.startsWith("/v1/ca/") || path.equals("/v1/enroll") || path.startsWith("/v1/agent/");
    }

    private static Optional<String> bearer(RoutingRequest req) {
        return req.headers().first(HeaderNames.AUTHORIZATION)
                .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(h -> h.substring(7).trim());
    }
}
