package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code drawbridge discover [--watch]}, {@code discover forget ID}, and {@code drawbridge network plan}. */
final class DiscoveryCommands {
    private DiscoveryCommands() {}

    @Command(name = "discover", description = "Devices heard announcing _drawbridge._tcp (DNS-SD), and what they"
            + " matched.", subcommands = {Forget.class})
    static final class Discover implements Callable<Integer> {
        @Mixin Target target;
        @Option(names = "--watch", description = "Keep listing: print a line whenever a device appears or changes"
                + " (Ctrl-C stops).") boolean watch;
        @Option(names = "--interval", defaultValue = "2", description = "Seconds between looks with --watch"
                + " (default ${DEFAULT-VALUE}).") int interval;

        @Override
        public Integer call() throws InterruptedException {
            JsonNode page = target.client().get("/v1/discovered");
            if (!watch) {
                if (target.json) {
                    Out.json(page);
                } else {
                    if (!page.path("enabled").asBoolean()) {
                        System.out.println("(discovery is off on this controller: set discovery.enabled: true)");
                    }
                    page.path("items").forEach(d -> System.out.println(line(d)));
                }
                return 0;
            }
            if (interval < 1 || interval > 3600) {
                throw new CliException("--interval must be 1 to 3600 seconds");
            }
            Map<String, String> shown = new HashMap<>();
            while (true) {
                for (JsonNode d : page.path("items")) {
                    String key = Out.text(d, "id");
                    String seen = Out.text(d, "fingerprint") + Out.text(d, "node") + Out.text(d, "flagged")
                            + d.path("addresses");
                    if (!seen.equals(shown.put(key, seen))) {
                        if (target.json) {
                            Out.json(d);
                        } else {
                            System.out.println(line(d));
                        }
                    }
                }
                System.out.flush();
                Thread.sleep(interval * 1000L);
                page = target.client().get("/v1/discovered");
            }
        }

        private static String line(JsonNode d) {
            String match = d.path("node").isTextual() ? "node " + Out.text(d, "node") + " (by "
                    + Out.text(d, "matched_by") + ")" : "unmatched";
            String flag = d.path("flagged").isTextual() ? "  FLAGGED: " + Out.text(d, "flagged") : "";
            String fp = Out.text(d, "fingerprint");
            return String.format("%-40s %-12s fp %s...  %s  %s  last seen %s%s", Out.text(d, "id"),
                    Out.text(d, "role"), fp.substring(0, Math.min(16, fp.length())), d.path("addresses"), match,
                    Out.text(d, "last_seen"), flag);
        }
    }

    @Command(name = "forget", description = "Forget a discovered device, clearing its flag; its next announcement"
            + " records it afresh.")
    static final class Forget implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "ID", description = "The id the device announced.") String id;

        @Override
        public Integer call() {
            JsonNode r = target.client().deleteJson("/v1/discovered/" + URLEncoder.encode(id, StandardCharsets.UTF_8));
            if (target.json) {
                Out.json(r);
            } else {
                System.out.println("forgot " + id);
            }
            return 0;
        }
    }

    @Command(name = "network", description = "The chassis-internal network.", subcommands = {Plan.class})
    static final class Network {
    }

    @Command(name = "plan", description = "Print a radvd configuration for the internal network (the prefix, this"
            + " controller's preference in an active/standby pair) and the address each node's MACs will take.")
    static final class Plan implements Callable<Integer> {
        @Mixin Target target;

        @Override
        public Integer call() {
            JsonNode p = target.client().get("/v1/network/plan");
            if (target.json) {
                Out.json(p);
                return 0;
            }
            System.out.print(Out.text(p, "radvd_conf"));
            System.out.println();
            System.out.println("# Addresses the nodes will take by SLAAC under " + Out.text(p, "prefix") + ":");
            p.path("expected").forEach(e -> System.out.printf("#   %-24s %-17s %s%n", Out.text(e, "node"),
                    Out.text(e, "mac"), Out.text(e, "address")));
            return 0;
        }
    }
}
