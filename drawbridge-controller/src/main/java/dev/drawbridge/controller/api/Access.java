package dev.drawbridge.controller.api;

import dev.drawbridge.oauth.ApiScope;
import io.helidon.http.Method;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one table of who may call what. Every route under {@code /v1} and {@code /ibm} is declared here with the
 * scope it needs, or as open (its own proof: a ticket, a node certificate, a public CA document), and {@link
 * AuthFilter} checks each request against it before anything else runs. A path under those prefixes that matches
 * no declared route is answered 404 by the filter itself, so a route registered around this table is unreachable:
 * default deny.
 */
final class Access {
    /** A declared route: method (empty: any), path pattern, and the scope it needs (empty: open, with why). */
    record Rule(Optional<Method> method, String pattern, Optional<ApiScope> scope, String openBecause) {
        boolean matches(Method m, String path) {
            return method.map(x -> x.equals(m)).orElse(true) && matchPath(pattern, path);
        }
    }

    private final List<Rule> rules = new ArrayList<>();

    /** Declares routes on {@code http}; each method registers the handler and records the rule. */
    Declare on(HttpRules http) {
        return new Declare(http);
    }

    /** The rule for a request, if one is declared. */
    Optional<Rule> match(Method m, String path) {
        for (Rule r : rules) {
            if (r.matches(m, path)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /** Every declared rule, in declaration order (the authorization matrix test walks them). */
    List<Rule> rules() {
        return List.copyOf(rules);
    }

    /** Whether the filter guards this path (anything else, health and metrics and OAuth, is not under it). */
    static boolean guarded(String path) {
        return path.startsWith("/v1/") || path.equals("/v1") || path.startsWith("/ibm/");
    }

    final class Declare {
        private final HttpRules http;

        private Declare(HttpRules http) {
            this.http = http;
        }

        Declare get(String path, ApiScope scope, Handler h) {
            return add(Method.GET, path, scope, h);
        }

        Declare post(String path, ApiScope scope, Handler h) {
            return add(Method.POST, path, scope, h);
        }

        Declare put(String path, ApiScope scope, Handler h) {
            return add(Method.PUT, path, scope, h);
        }

        Declare patch(String path, ApiScope scope, Handler h) {
            return add(Method.PATCH, path, scope, h);
        }

        Declare delete(String path, ApiScope scope, Handler h) {
            return add(Method.DELETE, path, scope, h);
        }

        /** An open route: no token; {@code because} says what proves the caller instead. */
        Declare open(Method m, String path, String because, Handler h) {
            http.route(m, path, h);
            rules.add(new Rule(Optional.of(m), path, Optional.empty(), because));
            return this;
        }

        /** An open route for any method. */
        Declare openAny(String path, String because, Handler h) {
            http.any(path, h);
            rules.add(new Rule(Optional.empty(), path, Optional.empty(), because));
            return this;
        }

        private Declare add(Method m, String path, ApiScope scope, Handler h) {
            http.route(m, path, h);
            rules.add(new Rule(Optional.of(m), path, Optional.of(scope), ""));
            return this;
        }
    }

    /** Helidon's path patterns as these routes use them: {@code {name}} is one segment, a final {@code *} the rest. */
    static boolean matchPath(String pattern, String path) {
        String[] p = pattern.split("/", -1);
        String[] s = path.split("/", -1);
        for (int i = 0; i < p.length; i++) {
            if (p[i].equals("*") && i == p.length - 1) {
                return s.length > i;
            }
            if (i >= s.length) {
                return false;
            }
            if (p[i].startsWith("{") && p[i].endsWith("}")) {
                if (s[i].isEmpty()) {
                    return false;
                }
            } else if (!p[i].equals(s[i])) {
                return false;
            }
        }
        return p.length == s.length;
    }
}
