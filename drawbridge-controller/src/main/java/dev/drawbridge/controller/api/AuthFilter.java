package dev.drawbridge.controller.api;

import dev.drawbridge.controller.trust.TrustService;
import dev.drawbridge.oauth.AccessTokens;
import dev.drawbridge.oauth.ApiScope;
import dev.drawbridge.oauth.Thumbprints;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import java.security.cert.X509Certificate;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Default deny, in one place: every request under {@code /v1} and {@code /ibm} is checked against the {@link Access}
 * table before any route runs. An open route proceeds (its own proof decides); any other needs a bearer credential,
 * either the admin break-glass token (every scope) or an access token from our authorization server, checked on
 * every request for signature, expiry, revocation, its client's status and its certificate binding, and then for
 * the scope the route declares. Console endpoints also take the credential as {@code X-Auth-Token}.
 */
final class AuthFilter implements Filter {
    private static final Set<ApiScope> EVERY_SCOPE = EnumSet.allOf(ApiScope.class);

    /**
     * Who a request is from: a client id (or {@code admin}) and the scopes it holds, and whether its token is bound
     * to the TLS client certificate of this request (RFC 8705), that is, whether it came over mutual TLS.
     */
    record Principal(String name, Set<ApiScope> scopes, boolean certificateBound) {
        static final String ADMIN = "admin";

        boolean admin() {
            return name.equals(ADMIN);
        }
    }

    private final Access access;
    private final AdminToken token;
    private final TrustService trust;
    private final AuthFailures failures;

    AuthFilter(Access access, AdminToken token, TrustService trust, AuthFailures failures) {
        this.access = access;
        this.token = token;
        this.trust = trust;
        this.failures = failures;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        if (!Access.guarded(path)) {
            chain.proceed(); // health, metrics and the OAuth endpoints (which authenticate clients themselves)
            return;
        }
        Optional<Access.Rule> rule = access.match(req.prologue().method(), path);
        boolean open = rule.isPresent() && rule.get().scope().isEmpty();
        if (open && path.startsWith("/v1/ca/")) {
            chain.proceed(); // the CA's public documents are never throttled
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
        if (open) {
            chain.proceed();
            if (path.equals("/v1/enroll") && res.status().code() == 401) {
                failures.failed(source, "ticket"); // an unknown or wrong ticket
            } else if (path.startsWith("/v1/media/") && res.status().code() == 404) {
                failures.failed(source, "media"); // an unknown one-time media URL: someone guessing
            }
            return;
        }
        // A path outside the table needs a valid credential too, so a caller without one cannot map the routes.
        String needs = rule.flatMap(Access.Rule::scope).map(s -> "an access token with scope " + s.wire())
                .orElse("an access token");
        Optional<String> presented = bearer(req).or(() -> path.startsWith("/ibm/")
                ? req.headers().first(HeaderNames.create("X-Auth-Token")) : Optional.empty());
        if (presented.isEmpty()) {
            failures.failed(source, "bearer");
            Problems.send(req, res, new ApiException(401, "unauthorized", "Authentication required",
                    "send 'Authorization: Bearer <token>': " + needs + " (drawbridge token), or the admin token"
                            + " in the data directory's admin.token", challenge("invalid_request", "no bearer token")));
            return;
        }
        Principal principal;
        if (token.matches(presented.get())) {
            principal = new Principal(Principal.ADMIN, EVERY_SCOPE, false);
        } else {
            AccessTokens.Check check = trust.oauth().tokens().check(presented.get(), thumbprint(req));
            if (!(check instanceof AccessTokens.Valid valid)) {
                failures.failed(source, "bearer");
                String why = ((AccessTokens.Invalid) check).reason();
                Problems.send(req, res, new ApiException(401, "unauthorized", "Authentication failed",
                        "the token is not valid for this controller: " + why, challenge("invalid_token", why)));
                return;
            }
            principal = new Principal(valid.caller().clientId(), valid.caller().scopes(),
                    valid.caller().boundThumbprint().isPresent());
        }
        if (rule.isEmpty()) {
            Problems.send(req, res, ApiException.notFound("no such endpoint: " + req.prologue().method().text() + " "
                    + NodeInput.abbreviate(path) + "; see /v1/openapi.json"));
            return;
        }
        ApiScope needed = rule.get().scope().get();
        if (!needed.grantedBy(principal.scopes())) {
            Problems.send(req, res, new ApiException(403, "insufficient-scope", "Insufficient scope",
                    "this route needs scope " + needed.wire() + "; the token holds " + ApiScope.join(principal.scopes()),
                    Map.of("WWW-Authenticate", "Bearer realm=\"drawbridge\", error=\"insufficient_scope\", scope=\""
                            + needed.wire() + "\"")));
            return;
        }
        req.context().register(principal);
        chain.proceed();
    }

    private static Map<String, String> challenge(String error, String description) {
        return Map.of("WWW-Authenticate", "Bearer realm=\"drawbridge\", error=\"" + error + "\", error_description=\""
                + description.replace("\"", "'").replace("\\", "/") + "\"");
    }

    /** The SHA-256 thumbprint of the request's TLS client certificate, for certificate-bound tokens. */
    static Optional<String> thumbprint(ServerRequest req) {
        return req.remotePeer().tlsCertificates().filter(c -> c.length > 0 && c[0] instanceof X509Certificate)
                .map(c -> Thumbprints.of((X509Certificate) c[0]));
    }

    private static Optional<String> bearer(RoutingRequest req) {
        return req.headers().first(HeaderNames.AUTHORIZATION)
                .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(h -> h.substring(7).trim());
    }
}
