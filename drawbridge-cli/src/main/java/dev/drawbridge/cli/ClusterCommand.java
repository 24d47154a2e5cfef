package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code drawbridge cluster status}: the controllers sharing the store, as the one asked sees them. */
@Command(name = "cluster", description = "The controllers that share this store.", subcommands = ClusterCommand.Status.class)
final class ClusterCommand {
    @Command(name = "status", description = "Each member: alive or dead, its age, its address, how long since its"
            + " last beat was seen, and how many nodes it drives; then the leases of singleton duties.")
    static final class Status implements Callable<Integer> {
        @Mixin Target target;

        @Override
        public Integer call() {
            JsonNode c = target.client().get("/v1/cluster");
            if (target.json) {
                Out.json(c);
                return 0;
            }
            System.out.println("mode " + Out.text(c, "mode") + "; a member is dead after "
                    + c.path("dead_after_ms").asLong() + " ms without a beat; this one "
                    + (c.path("active").asBoolean() ? "polls its nodes" : "is a standby"));
            System.out.printf("%-28s %-6s %8s %9s %6s  %s%n", "MEMBER", "STATE", "AGE", "LAST BEAT", "NODES",
                    "ADDRESS");
            for (JsonNode m : c.path("members")) {
                System.out.printf("%-28s %-6s %7ds %7dms %6d  %s%n", Out.text(m, "name")
                                + (m.path("self").asBoolean() ? " *" : ""), m.path("alive").asBoolean() ? "alive" : "dead",
                        m.path("age_s").asLong(), m.path("quiet_ms").asLong(), m.path("nodes").asInt(),
                        Out.text(m, "address"));
            }
            for (JsonNode l : c.path("leases")) {
                System.out.println("lease " + Out.text(l, "name") + ": " + (l.path("holder").asText().isEmpty()
                        ? "released" : "held by " + Out.text(l, "holder")) + " at epoch " + l.path("epoch").asLong());
            }
            return 0;
        }
    }
}
