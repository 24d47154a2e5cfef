package dev.drawbridge.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import dev.drawbridge.oauth.AccessTokens;
import dev.drawbridge.oauth.ApiScope;
import dev.drawbridge.oauth.AuthorizationServer;
import dev.drawbridge.oauth.Endpoints;
import dev.drawbridge.oauth.MemoryOAuthStore;
import dev.drawbridge.oauth.OAuthSettings;
import dev.drawbridge.oauth.Peer;
import dev.drawbridge.oauth.PeerClient;
import dev.drawbridge.oauth.Thumbprints;
import dev.drawbridge.oauth.TrustDecision;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.protocol.Announcement;
import dev.drawbridge.protocol.BootstrapPayload;
import dev.drawbridge.protocol.Wire;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent in a management-controller role ({@code chassis-bmc}, {@code node-bmc}) as its controller's peer: it
 * serves an authorization server (RFC 8414 metadata, JWKS, RFC 7591/7592 registration, the token endpoint) and the
 * version-1 peer API, both behind the agent's gate (a controller certificate from the payload's CA, on every
 * request). Its registration policy trusts exactly that: a client registering over a controller certificate chained
 * to the payload root, for scope {@code peer}; anything else is denied, since a management controller has no
 * operator to ask. The peer routes take only {@code peer} tokens bound to the request's client certificate. Clients
 * and signing keys live in memory: after a restart the controller registers again. A provisioning agent (role
 * {@code agent}) has none of this.
 */
final class PeerRole {
    private static final Logger LOG = LoggerFactory.getLogger(PeerRole.class);
    /** Clients the agent's authorization server holds: its controller's, a few times over (RFC 7592 deletes them). */
    static final int MAX_CLIENTS = 16;

    private final Announcement.Role role;
    private final BootstrapPayload payload;
    private final TlsIdentity tls;
    private final Clock clock;
    private volatile AuthorizationServer oauth;

    PeerRole(Announcement.Role role, BootstrapPayload payload, TlsIdentity tls, Clock clock) {
        this.role = role;
        this.payload = payload;
        this.tls = tls;
        this.clock = clock;
    }

    Announcement.Role role() {
        return role;
    }

    /** Opens the authorization server under {@code issuer}, the URL the controller reaches this agent at. */
    synchronized void open(URI issuer) {
        if (role == Announcement.Role.AGENT || oauth != null) {
            return;
        }
        MemoryOAuthStore store = new MemoryOAuthStore();
        OAuthSettings d = OAuthSettings.defaults(issuer);
        OAuthSettings settings = new OAuthSettings(issuer, d.tokenLifetime(), d.maxTokenLifetime(),
                d.assertionMaxAhead(), d.keyRotation(), MAX_CLIENTS);
        oauth = new AuthorizationServer(settings, store, store, facts -> judge(facts.certificate(),
                facts.scopes()), (kind, subject, outcome, detail) -> LOG.info("{} {} {} {}", kind, subject, outcome,
                detail), clock);
        LOG.info("peer role {}: authorization server at {}", role.wire(), issuer);
    }

    private TrustDecision judge(List<X509Certificate> chain, Set<ApiScope> scopes) {
        List<TrustDecision.Factor> factors = new ArrayList<>();
        boolean controller = !chain.isEmpty() && Chains.problem(chain, tls.root()).isEmpty()
                && Profile.of(chain.getFirst()).filter(Profile.CONTROLLER::equals).isPresent();
        factors.add(new TrustDecision.Factor("chain", controller ? "vouches" : "denied", controller
                ? "a controller certificate from the CA in this agent's bootstrap payload"
                : "only a controller certificate from the CA in this agent's bootstrap payload may register"));
        boolean peerOnly = scopes.equals(Set.of(ApiScope.PEER));
        factors.add(new TrustDecision.Factor("scope", peerOnly ? "vouches" : "denied", peerOnly ? "asks for peer"
                : "an agent grants only the peer scope"));
        return new TrustDecision(controller && peerOnly ? TrustDecision.Answer.TRUSTED : TrustDecision.Answer.DENIED,
                factors, Optional.empty());
    }

    /** The answer to a request on a path of this role, or empty when the path is not one. */
    Optional<AgentApi.Response> handle(AgentApi.Request req) {
        AuthorizationServer as = oauth;
        if (as == null) {
            return Optional.empty();
        }
        String p = req.path();
        String m = req.method();
        List<X509Certificate> chain = req.peer().stream().filter(X509Certificate.class::isInstance)
                .map(X509Certificate.class::cast).toList();
        Peer peer = new Peer(InetAddress.getLoopbackAddress(), chain);
        if (m.equals("GET") && p.equals(Endpoints.METADATA)) {
            return Optional.of(raw(200, as.metadata()));
        }
        if (m.equals("GET") && p.equals(Endpoints.JWKS)) {
            return Optional.of(raw(200, as.jwks()));
        }
        if (m.equals("POST") && p.equals(Endpoints.REGISTER)) {
            return Optional.of(from(as.register(nimbus(req, as), peer)));
        }
        if (p.startsWith(Endpoints.REGISTER + "/") && p.indexOf('/', Endpoints.REGISTER.length() + 1) < 0) {
            String id = p.substring(Endpoints.REGISTER.length() + 1);
            return switch (m) {
                case "GET" -> Optional.of(from(as.readClient(id, nimbus(req, as))));
                case "DELETE" -> Optional.of(from(as.deleteClient(id, nimbus(req, as))));
                default -> Optional.empty();
            };
        }
        if (m.equals("POST") && p.equals(Endpoints.TOKEN)) {
            return Optional.of(from(as.token(nimbus(req, as), peer)));
        }
        if (m.equals("GET") && p.startsWith("/v1/peer/")) {
            return Optional.of(peerRoute(p.substring("/v1/peer/".length()), req, chain, as));
        }
        return Optional.empty();
    }

    private AgentApi.Response peerRoute(String route, AgentApi.Request req, List<X509Certificate> chain,
                                        AuthorizationServer as) {
        if (!PeerClient.ROUTES.contains(route)) {
            throw new ApiProblem(404, "not-found", "Not found", "the peer API has identity, health and verdict");
        }
        String bearer = req.authorization().filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(h -> h.substring(7).trim()).orElseThrow(() -> new ApiProblem(401, "unauthorized",
                        "Authentication required", "send a peer token from this agent's authorization server"));
        Optional<String> thumbprint = chain.isEmpty() ? Optional.empty() : Optional.of(Thumbprints.of(chain.getFirst()));
        AccessTokens.Check check = as.tokens().check(bearer, thumbprint);
        if (!(check instanceof AccessTokens.Valid valid)) {
            throw new ApiProblem(401, "unauthorized", "Authentication failed", "the token is not valid here: "
                    + ((AccessTokens.Invalid) check).reason());
        }
        if (!ApiScope.PEER.grantedBy(valid.caller().scopes())) {
            throw new ApiProblem(403, "insufficient-scope", "Insufficient scope", "the peer API needs scope peer");
        }
        if (valid.caller().boundThumbprint().isEmpty()) {
            throw new ApiProblem(403, "mutual-tls-required", "Mutual TLS required",
                    "the peer API takes only certificate-bound tokens");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("v", PeerClient.VERSION);
        switch (route) {
            case "identity" -> {
                body.put("id", payload.nodeId());
                body.put("role", role.wire());
                body.put("node", payload.nodeName());
                body.put("issuer", as.settings().issuer().toString());
                body.put("versions", List.of(PeerClient.VERSION));
                body.put("tls_sha256", tls.fingerprintHex());
                body.put("you", valid.caller().clientId());
            }
            case "health" -> {
                body.put("status", "ok");
                body.put("enrolled", tls.current().enrolled());
                body.put("at", clock.instant().toString());
            }
            default -> {
                body.put("verdict", "unknown");
                body.put("reason", "this agent does not judge its own quotes: its controller attests it");
            }
        }
        try {
            return new AgentApi.Response(200, "application/json", Wire.JSON.writeValueAsBytes(body), Optional.empty());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static HTTPRequest nimbus(AgentApi.Request req, AuthorizationServer as) {
        HTTPRequest out = new HTTPRequest(HTTPRequest.Method.valueOf(req.method()), as.settings().endpoint(req.path()));
        req.contentType().ifPresent(t -> out.setHeader("Content-Type", t));
        req.authorization().ifPresent(out::setAuthorization);
        if (req.body().length > 0) {
            out.setBody(new String(req.body(), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static AgentApi.Response raw(int status, String json) {
        return new AgentApi.Response(status, "application/json", json.getBytes(StandardCharsets.UTF_8),
                Optional.empty());
    }

    private static AgentApi.Response from(HTTPResponse res) {
        String type = res.getHeaderValue("Content-Type");
        String body = res.getBody();
        return new AgentApi.Response(res.getStatusCode(), type == null ? "application/json" : type,
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8), Optional.empty());
    }
}
