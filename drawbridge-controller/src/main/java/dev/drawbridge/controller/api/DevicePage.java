package dev.drawbridge.controller.api;

import com.nimbusds.oauth2.sdk.util.URLUtils;
import dev.drawbridge.controller.trust.TrustService;
import dev.drawbridge.oauth.AccessTokens;
import dev.drawbridge.oauth.ApiScope;
import dev.drawbridge.oauth.AuthorizationServer;
import dev.drawbridge.oauth.Endpoints;
import dev.drawbridge.oauth.TrustDecision;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The device verification page (RFC 8628 §3.3) at {@code /device}: an operator signs in (the admin token, or an
 * access token with the {@code admin} scope), enters or follows the user code, sees who is asking (the client,
 * its scopes, where it registered from, which node it speaks for) and every trust factor with its reason, then
 * approves or denies. Sessions live in memory ({@link #SESSION} each), ride in a {@code Secure; HttpOnly;
 * SameSite=Strict} cookie, and every form carries the session's CSRF token; the page loads nothing from anywhere.
 */
final class DevicePage implements HttpService {
    private static final Duration SESSION = Duration.ofMinutes(15);
    private static final int MAX_SESSIONS = 1000;
    private static final String COOKIE = "drawbridge_device";
    private static final int MAX_FORM = 8 * 1024;

    private record Session(String operator, String csrf, Instant expires) {}

    private final ApiContext ctx;
    private final AuthFailures failures;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    DevicePage(ApiContext ctx, AuthFailures failures) {
        this.ctx = ctx;
        this.failures = failures;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get(Endpoints.DEVICE_PAGE, this::show)
                .post(Endpoints.DEVICE_PAGE + "/sign-in", this::signIn)
                .post(Endpoints.DEVICE_PAGE + "/decide", this::decide);
    }

    private void show(ServerRequest req, ServerResponse res) {
        String code = Query.param(req, "user_code").orElse("");
        Optional<Session> s = session(req);
        if (s.isEmpty()) {
            page(res, 200, "Sign in", signInForm(code, ""));
            return;
        }
        if (code.isBlank()) {
            page(res, 200, "Enter the code", signedIn(s.get()) + codeForm(""));
            return;
        }
        Optional<AuthorizationServer.DeviceRequest> d = ctx.trust().oauth().deviceRequest(code);
        if (d.isEmpty()) {
            page(res, 404, "No such request", signedIn(s.get()) + "<p class=bad>No pending request has the code "
                    + esc(code) + ": it may have expired (10 minutes) or been decided.</p>" + codeForm(""));
            return;
        }
        page(res, 200, "Approve a device", signedIn(s.get()) + request(d.get(), s.get()));
    }

    private void signIn(ServerRequest req, ServerResponse res) {
        String source = req.remotePeer().host();
        if (failures.retryAfter(source).isPresent()) {
            page(res, 429, "Sign in", "<p class=bad>Too many failed sign-ins from this address; wait a minute.</p>");
            return;
        }
        Map<String, List<String>> form = form(req);
        String code = first(form, "user_code");
        Optional<String> operator = operator(first(form, "token").strip());
        if (operator.isEmpty()) {
            failures.failed(source, "device-page");
            page(res, 401, "Sign in", signInForm(code, "That is neither the admin token nor an access token with"
                    + " the admin scope."));
            return;
        }
        Instant now = ctx.clock().instant();
        sessions.values().removeIf(x -> !now.isBefore(x.expires()));
        if (sessions.size() >= MAX_SESSIONS) {
            page(res, 503, "Sign in", "<p class=bad>Too many operators are signed in; try again later.</p>");
            return;
        }
        String id = randomToken();
        sessions.put(id, new Session(operator.get(), randomToken(), now.plus(SESSION)));
        res.header("Set-Cookie", COOKIE + "=" + id + "; Path=" + Endpoints.DEVICE_PAGE + "; Max-Age="
                + SESSION.toSeconds() + "; Secure; HttpOnly; SameSite=Strict");
        redirect(res, code);
    }

    private void decide(ServerRequest req, ServerResponse res) {
        Optional<Session> s = session(req);
        Map<String, List<String>> form = form(req);
        if (s.isEmpty()) {
            page(res, 401, "Sign in", signInForm(first(form, "user_code"), "Your session ended; sign in again."));
            return;
        }
        if (!MessageDigest.isEqual(s.get().csrf().getBytes(StandardCharsets.US_ASCII),
                first(form, "csrf").getBytes(StandardCharsets.US_ASCII))) {
            page(res, 403, "Refused", "<p class=bad>The form did not come from this page (CSRF token mismatch).</p>");
            return;
        }
        String code = first(form, "user_code");
        String decision = first(form, "decision");
        if (!decision.equals("approve") && !decision.equals("deny")) {
            page(res, 400, "Refused", "<p class=bad>Choose approve or deny.</p>");
            return;
        }
        Optional<AuthorizationServer.DeviceRequest> d = ctx.trust().oauth().deviceRequest(code);
        boolean approve = decision.equals("approve");
        if (d.isEmpty() || !ctx.trust().oauth().decideDevice(code, approve, s.get().operator())) {
            page(res, 404, "No such request", signedIn(s.get()) + "<p class=bad>No pending request has the code "
                    + esc(code) + ".</p>");
            return;
        }
        page(res, 200, approve ? "Approved" : "Denied", signedIn(s.get()) + "<p class=" + (approve ? "ok" : "bad")
                + " id=outcome>" + (approve ? "Approved" : "Denied") + ": client <b>" + esc(d.get().client().name())
                + "</b> (" + esc(d.get().client().clientId()) + ") " + (approve ? "may now obtain tokens with "
                + esc(ApiScope.join(d.get().scopes())) : "is disabled") + ".</p>");
    }

    /** Who the presented credential is: {@code admin}, or the client id of an access token with the admin scope. */
    private Optional<String> operator(String token) {
        if (token.isEmpty()) {
            return Optional.empty();
        }
        if (ctx.adminToken().matches(token)) {
            return Optional.of("admin");
        }
        return ctx.trust().oauth().tokens().check(token, Optional.empty()) instanceof AccessTokens.Valid v
                && v.caller().scopes().contains(ApiScope.ADMIN) ? Optional.of(v.caller().clientId()) : Optional.empty();
    }

    private String request(AuthorizationServer.DeviceRequest d, Session s) {
        var c = d.client();
        Map<String, Object> stored = TrustService.storedDecision(c);
        Object facts = stored.get("facts");
        String source = facts instanceof Map<?, ?> f && f.get("source") != null ? String.valueOf(f.get("source")) : "?";
        TrustService.Explanation now = ctx.trust().rejudge(c);
        StringBuilder b = new StringBuilder();
        b.append("<h2>").append(esc(c.name())).append(" asks for access</h2><table>")
                .append(row("user code", "<code id=code>" + esc(d.userCode()) + "</code>"))
                .append(row("client id", esc(c.clientId())))
                .append(row("scopes asked", esc(ApiScope.join(d.scopes()))))
                .append(row("authenticates by", esc(c.authMethod().wire())))
                .append(row("registered from", esc(source) + " at " + esc(c.createdAt().toString())))
                .append(row("speaks for node", esc(c.nodeId().orElse("none"))))
                .append(row("status", esc(c.status().wire())))
                .append(row("request expires", esc(d.expires().toString())))
                .append("</table><h2>Trust factors now</h2><p>The policy's answer: <b id=answer>")
                .append(esc(now.decision().answer().wire())).append("</b></p><table id=factors><tr><th>factor</th>"
                        + "<th>outcome</th><th>reason</th></tr>");
        for (TrustDecision.Factor f : now.decision().factors()) {
            b.append("<tr><td>").append(esc(f.name())).append("</td><td class=").append(f.outcome().equals("denied")
                    ? "bad" : f.outcome().equals("vouches") ? "ok" : "meh").append('>').append(esc(f.outcome()))
                    .append("</td><td>").append(esc(f.reason())).append("</td></tr>");
        }
        b.append("</table>");
        now.statementRefusal().ifPresent(r -> b.append("<p class=bad>").append(esc(r)).append("</p>"));
        b.append("<form method=post action=").append(Endpoints.DEVICE_PAGE).append("/decide>")
                .append(hidden("user_code", d.userCode())).append(hidden("csrf", s.csrf()))
                .append("<button name=decision value=approve id=approve>Approve</button> ")
                .append("<button name=decision value=deny id=deny>Deny</button></form>");
        return b.toString();
    }

    private static String signInForm(String code, String problem) {
        return (problem.isEmpty() ? "" : "<p class=bad>" + esc(problem) + "</p>")
                + "<p>Sign in with the admin token (the data directory's admin.token) or an access token that holds"
                + " the admin scope.</p><form method=post action=" + Endpoints.DEVICE_PAGE + "/sign-in>"
                + hidden("user_code", code) + "<label>Token <input type=password name=token id=token"
                + " autocomplete=off required></label> <button id=sign-in>Sign in</button></form>";
    }

    private static String codeForm(String code) {
        return "<form method=get action=" + Endpoints.DEVICE_PAGE + "><label>User code <input name=user_code"
                + " value=\"" + esc(code) + "\" required></label> <button>Look up</button></form>";
    }

    private static String signedIn(Session s) {
        return "<p class=who>Signed in as <b id=operator>" + esc(s.operator()) + "</b></p>";
    }

    private Optional<Session> session(ServerRequest req) {
        Instant now = ctx.clock().instant();
        return req.headers().first(HeaderNames.COOKIE).flatMap(h -> {
            for (String part : h.split(";")) {
                String p = part.strip();
                if (p.startsWith(COOKIE + "=")) {
                    return Optional.ofNullable(sessions.get(p.substring(COOKIE.length() + 1)));
                }
            }
            return Optional.empty();
        }).filter(s -> now.isBefore(s.expires()));
    }

    private static Map<String, List<String>> form(ServerRequest req) {
        return URLUtils.parseParameters(new String(Json.Bodies.read(req, MAX_FORM), StandardCharsets.UTF_8));
    }

    private static String first(Map<String, List<String>> form, String name) {
        List<String> v = form.get(name);
        return v == null || v.isEmpty() ? "" : v.get(0);
    }

    private String randomToken() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static void redirect(ServerResponse res, String code) {
        res.status(303);
        res.header("Location", Endpoints.DEVICE_PAGE + (code.isBlank() ? "" : "?user_code="
                + URLUtils.serializeParameters(Map.of("user_code", List.of(code))).substring("user_code=".length())));
        res.send();
    }

    private static void page(ServerResponse res, int status, String title, String body) {
        res.status(status);
        res.header("Content-Type", "text/html; charset=utf-8");
        res.header("Cache-Control", "no-store");
        res.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self';"
                + " frame-ancestors 'none'; base-uri 'none'");
        res.header("X-Frame-Options", "DENY");
        res.header("Referrer-Policy", "no-referrer");
        res.send(("<!doctype html><html lang=en><head><meta charset=utf-8><title>Drawbridge: " + esc(title)
                + "</title><style>body{font-family:sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;"
                + "color:#222}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;"
                + "padding:.3rem .6rem;text-align:left;vertical-align:top}.ok{color:#176117}.bad{color:#a11}"
                + ".meh{color:#666}.who{float:right;color:#555}button{font-size:1rem;padding:.4rem 1.2rem;"
                + "margin-right:.5rem}</style></head><body><h1>Drawbridge device approval</h1>" + body
                + "</body></html>").getBytes(StandardCharsets.UTF_8));
    }

    private static String row(String name, String html) {
        return "<tr><th>" + esc(name) + "</th><td>" + html + "</td></tr>";
    }

    private static String hidden(String name, String value) {
        return "<input type=hidden name=" + name + " value=\"" + esc(value) + "\">";
    }

    /** HTML text and attribute escaping. */
    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }
}
