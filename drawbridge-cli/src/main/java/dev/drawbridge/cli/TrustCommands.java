package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Machine trust for operators: scoped tokens, OAuth clients, and the trust policy's explanation and review. */
final class TrustCommands {
    private TrustCommands() {}

    @Command(name = "token", description = "Mint a scoped access token for scripts (export DRAWBRIDGE_TOKEN=$(drawbridge"
            + " token --scope nodes:read)). Needs the admin token.")
    static final class Token implements Callable<Integer> {
        @Mixin Target target;
        @Option(names = "--scope", required = true, description = "Space-separated scopes: nodes:read, nodes:write,"
                + " ca:sign, fence, audit:read, peer, admin.") String scope;
        @Option(names = "--lifetime", description = "How long it lasts, e.g. 10m (default: oauth.token-lifetime,"
                + " at most oauth.max-token-lifetime).") String lifetime;

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("scope", scope);
            if (lifetime != null) {
                body.put("lifetime", lifetime);
            }
            JsonNode t = target.client().post("/v1/oauth/tokens", body);
            if (target.json) {
                Out.json(t);
            } else {
                System.out.println(t.path("access_token").asText());
            }
            return 0;
        }
    }

    @Command(name = "client", description = "OAuth clients registered with this controller.",
            subcommands = {ClientList.class, ClientApprove.class, ClientDisable.class})
    static final class Client {
    }

    @Command(name = "list", description = "List OAuth clients with their status and the trust decision.")
    static final class ClientList implements Callable<Integer> {
        @Mixin Target target;

        @Override
        public Integer call() {
            JsonNode page = target.client().get("/v1/oauth/clients");
            if (target.json) {
                Out.json(page);
                return 0;
            }
            page.path("items").forEach(c -> System.out.printf("%-24s %-16s %-15s %-24s %s%n", Out.text(c, "client_id"),
                    Out.text(c, "status"), Out.text(c, "auth_method"), Out.text(c, "name"), Out.text(c, "scope")));
            return 0;
        }
    }

    @Command(name = "approve", description = "Enable a client that waits for approval (or was disabled).")
    static final class ClientApprove implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "CLIENT_ID") String id;

        @Override
        public Integer call() {
            return status(target, id, "approve");
        }
    }

    @Command(name = "disable", description = "Disable a client: its tokens are refused from the next request.")
    static final class ClientDisable implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "CLIENT_ID") String id;

        @Override
        public Integer call() {
            return status(target, id, "disable");
        }
    }

    private static int status(Target target, String id, String verb) {
        JsonNode c = target.client().post("/v1/oauth/clients/" + URLEncoder.encode(id, StandardCharsets.UTF_8) + "/" + verb, Map.of());
        if (target.json) {
            Out.json(c);
        } else {
            System.out.println(Out.text(c, "client_id") + " is now " + Out.text(c, "status"));
        }
        return 0;
    }

    @Command(name = "trust", description = "The trust policy: how a request would be judged, and which clients it"
            + " no longer trusts.", subcommands = {Explain.class, Review.class})
    static final class Trust {
    }

    @Command(name = "explain", description = "Show how a registration would be judged now, factor by factor,"
            + " without changing anything.")
    static final class Explain implements Callable<Integer> {
        @Mixin Target target;
        @Option(names = "--network", required = true, description = "The address the request would come from.")
        String network;
        @Option(names = "--cert", description = "A PEM file with the client certificate chain it would present.")
        Path cert;
        @Option(names = "--statement", description = "A file holding the software statement (a signed JWT).")
        Path statement;
        @Option(names = "--name", description = "The client name.") String name;
        @Option(names = "--scope", description = "The scopes it would ask for (default: peer).") String scope;

        @Override
        public Integer call() throws IOException {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("network", network);
            if (cert != null) {
                body.put("certificate", Files.readString(cert));
            }
            if (statement != null) {
                body.put("statement", Files.readString(statement).strip());
            }
            if (name != null) {
                body.put("name", name);
            }
            if (scope != null) {
                body.put("scope", scope);
            }
            JsonNode d = target.client().post("/v1/trust/explain", body);
            if (target.json) {
                Out.json(d);
                return 0;
            }
            print(d);
            if (d.has("registration_refused")) {
                System.out.println("  registration would be refused: " + Out.text(d, "registration_refused"));
            }
            if (d.has("policy_problem")) {
                System.out.println("  policy file problem (the last good policy applies): "
                        + Out.text(d, "policy_problem"));
            }
            return 0;
        }
    }

    @Command(name = "review", description = "List enabled clients that the current policy would no longer trust.")
    static final class Review implements Callable<Integer> {
        @Mixin Target target;

        @Override
        public Integer call() {
            JsonNode page = target.client().get("/v1/trust/review");
            if (target.json) {
                Out.json(page);
                return 0;
            }
            if (page.path("items").isEmpty()) {
                System.out.println("every enabled client is still trusted by the current policy");
            }
            page.path("items").forEach(c -> {
                System.out.println(Out.text(c, "client_id") + " (" + Out.text(c, "name") + "):");
                print(c.path("now"));
            });
            return 0;
        }
    }

    private static void print(JsonNode decision) {
        System.out.println("  answer: " + Out.text(decision, "answer"));
        decision.path("factors").forEach(f -> System.out.printf("  %-12s %-15s %s%n", Out.text(f, "factor"),
                Out.text(f, "outcome"), Out.text(f, "reason")));
    }
}
