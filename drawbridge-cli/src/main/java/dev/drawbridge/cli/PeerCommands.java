package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code drawbridge peer add|list|call|remove}: other controllers this one registers with and calls. */
@Command(name = "peer", description = "Controllers this one registers with (OAuth DCR) and calls with tokens.",
        subcommands = {PeerCommands.Add.class, PeerCommands.List.class, PeerCommands.Call.class,
                PeerCommands.Remove.class})
final class PeerCommands {
    private PeerCommands() {}

    @Command(name = "add", description = "Register with the controller at URL and call it once.")
    static final class Add implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "URL", description = "The peer's base URL, https://host:port.") String url;
        @Option(names = "--ca", required = true, description = "The peer's root CA (its data directory's ca.pem).")
        Path ca;

        @Override
        public Integer call() throws IOException {
            JsonNode p = target.client().post("/v1/peers", Map.of("url", url, "ca", Files.readString(ca)));
            print(target, p);
            return 0;
        }
    }

    @Command(name = "list", description = "List peers with the outcome of the last call.")
    static final class List implements Callable<Integer> {
        @Mixin Target target;

        @Override
        public Integer call() {
            JsonNode page = target.client().get("/v1/peers");
            if (target.json) {
                Out.json(page);
                return 0;
            }
            page.path("items").forEach(p -> System.out.printf("%-36s %-28s %-8s %s%n", Out.text(p, "id"),
                    Out.text(p, "url"), Out.text(p, "last_status"), Out.text(p, "last_detail")));
            return 0;
        }
    }

    @Command(name = "call", description = "Call a peer now: a fresh token, then its identity, health and verdict.")
    static final class Call implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "ID") String id;

        @Override
        public Integer call() {
            print(target, target.client().post("/v1/peers/" + URLEncoder.encode(id, StandardCharsets.UTF_8)
                    + "/call", Map.of()));
            return 0;
        }
    }

    @Command(name = "remove", description = "Forget a peer, deleting our client there.")
    static final class Remove implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "ID") String id;

        @Override
        public Integer call() {
            JsonNode r = target.client().deleteJson("/v1/peers/" + URLEncoder.encode(id, StandardCharsets.UTF_8));
            if (target.json) {
                Out.json(r);
            } else {
                System.out.println("removed " + id + (r.path("problem").isTextual() ? " (" + Out.text(r, "problem")
                        + ")" : ""));
            }
            return 0;
        }
    }

    private static void print(Target target, JsonNode p) {
        if (target.json) {
            Out.json(p);
        } else {
            System.out.println(Out.text(p, "id") + " " + Out.text(p, "url") + ": " + Out.text(p, "last_status")
                    + " (" + Out.text(p, "last_detail") + "), peer id " + Out.text(p, "peer_id"));
        }
    }
}
