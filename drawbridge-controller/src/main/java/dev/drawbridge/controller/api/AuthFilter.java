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

    AuthFilter(AdminToken token) {
        this.token = token;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        boolean console = path.startsWith("/ibm/");
        if (!(path.startsWith("/v1") || console) || isPublic(path)) {
            chain.proceed();
            return;
        }
        Optional<String> presented = bearer(req).or(() -> console
                ? req.headers().first(HeaderNames.create("X-Auth-Token")) : Optional.empty());
        if (presented.isEmpty()) {
            Problems.send(req, res, new ApiException(401, "unauthorized", "Authentication required",
                    "send 'Authorization: Bearer <token>' (the admin token is in the data directory's admin.token)",
                    CHALLENGE));
            return;
        }
        if (!token.matches(presented.get())) {
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
