package dev.drawbridge.controller.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drawbridge.controller.trust.TrustService;
import dev.drawbridge.oauth.ApiScope;
import dev.drawbridge.oauth.AuthorizationServer;
import dev.drawbridge.oauth.OAuthClient;
import dev.drawbridge.oauth.TrustDecision;
import dev.drawbridge.pki.Pem;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Operators' side of machine trust ({@code admin} scope): OAuth clients (list, approve, disable), scoped operator
 * tokens for scripts ({@code drawbridge token}), and the trust policy's explanation and review.
 */
final class TrustRoutes implements HttpService {
    private final ApiContext ctx;
    private final Access access;

    TrustRoutes(ApiContext ctx, Access access) {
        this.ctx = ctx;
        this.access = access;
    }

    @Override
    public void routing(HttpRules rules) {
        access.on(rules).get("/v1/oauth/clients", ApiScope.ADMIN, this::clients)
                .post("/v1/oauth/clients/{id}/approve", ApiScope.ADMIN, (req, res) -> status(req, res,
                        OAuthClient.Status.ENABLED))
                .post("/v1/oauth/clients/{id}/disable", ApiScope.ADMIN, (req, res) -> status(req, res,
                        OAuthClient.Status.DISABLED))
                .post("/v1/oauth/tokens", ApiScope.ADMIN, this::operatorToken)
                .post("/v1/trust/explain", ApiScope.ADMIN, this::explain)
                .get("/v1/trust/review", ApiScope.ADMIN, this::review);
    }

    private void clients(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.object();
        ArrayNode items = body.putArray("items");
        for (OAuthClient c : ctx.trust().oauth().clients()) {
            items.add(view(c));
        }
        Json.send(res, 200, body);
    }

    static ObjectNode view(OAuthClient c) {
        ObjectNode o = Json.object().put("client_id", c.clientId()).put("name", c.name())
                .put("auth_method", c.authMethod().wire()).put("scope", ApiScope.join(c.scopes()))
                .put("status", c.status().wire()).put("node_id", c.nodeId().orElse(null))
                .put("created_at", c.createdAt().toString()).put("updated_at", c.updatedAt().toString());
        o.set("decision", Json.MAPPER.valueToTree(TrustService.storedDecision(c)));
        return o;
    }

    private void status(ServerRequest req, ServerResponse res, OAuthClient.Status status) {
        String id = req.path().pathParameters().get("id");
        if (id.equals(AuthorizationServer.OPERATOR_CLIENT)) {
            throw new ApiException(409, "built-in-client", "Built-in client", "the operator client cannot be changed;"
                    + " revoke operator tokens by disabling it only through the store");
        }
        if (!ctx.trust().setStatus(id, status, "admin")) {
            throw ApiException.notFound("no OAuth client '" + NodeInput.abbreviate(id) + "'");
        }
        Json.send(res, 200, view(ctx.trust().oauth().client(id).orElseThrow()));
    }

    private void operatorToken(ServerRequest req, ServerResponse res) {
        Fields f = Fields.of(Json.body(req, ctx.config().api().maxBodyBytes()), Set.of("scope", "lifetime"));
        Set<ApiScope> scopes;
        try {
            scopes = ApiScope.parseList(f.string("scope"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        if (scopes.isEmpty()) {
            throw ApiException.badRequest("'scope' names no scope");
        }
        Duration max = ctx.trust().oauth().settings().maxTokenLifetime();
        Duration lifetime = f.optionalString("lifetime").map(t -> Fields.duration("lifetime", t, max))
                .orElse(ctx.trust().oauth().settings().tokenLifetime());
        String token = ctx.trust().oauth().operatorToken("admin", scopes, lifetime);
        res.header("Cache-Control", "no-store");
        Json.send(res, 201, Json.object().put("access_token", token).put("token_type", "Bearer")
                .put("expires_in", lifetime.toSeconds()).put("scope", ApiScope.join(scopes)));
    }

    private void explain(ServerRequest req, ServerResponse res) {
        Fields f = Fields.of(Json.body(req, ctx.config().api().maxBodyBytes()),
                Set.of("network", "certificate", "statement", "name", "scope"));
        InetAddress source;
        String network = f.string("network");
        try {
            if (!network.matches("[0-9A-Fa-f:.]+")) {
                throw new UnknownHostException(network);
            }
            source = InetAddress.getByName(network);
        } catch (UnknownHostException e) {
            throw ApiException.badRequest("'network' must be an IP address, such as fd00::10 or 192.0.2.7");
        }
        List<X509Certificate> chain = List.of();
        Optional<String> pem = f.optionalString("certificate");
        if (pem.isPresent()) {
            try {
                chain = Pem.certificates(pem.get());
            } catch (RuntimeException e) {
                throw ApiException.badRequest("'certificate' is not a PEM certificate chain: " + e.getMessage());
            }
        }
        Set<ApiScope> scopes;
        try {
            scopes = f.optionalString("scope").map(ApiScope::parseList).orElse(EnumSet.of(ApiScope.PEER));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        TrustService.Explanation e = ctx.trust().explain(source, chain, f.optionalString("statement"),
                f.optionalString("name").orElse("unnamed"), scopes);
        ObjectNode body = decision(e.decision());
        e.statementRefusal().ifPresent(r -> body.put("registration_refused", r));
        ctx.trust().policyProblem().ifPresent(p -> body.put("policy_problem", p));
        Json.send(res, 200, body);
    }

    private void review(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.object();
        ArrayNode items = body.putArray("items");
        for (TrustService.Review r : ctx.trust().review()) {
            ObjectNode item = view(r.client());
            item.set("now", decision(r.now()));
            items.add(item);
        }
        ctx.trust().policyProblem().ifPresent(p -> body.put("policy_problem", p));
        Json.send(res, 200, body);
    }

    private static ObjectNode decision(TrustDecision d) {
        JsonNode tree = Json.MAPPER.valueToTree(d.toMap());
        return (ObjectNode) tree;
    }
}
