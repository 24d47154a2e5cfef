package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code drawbridge fence|readmit NAME}: fencing by an operator, and letting a node back in. */
final class FenceCommands {
    private FenceCommands() {}

    @Command(name = "fence", description = "Fence a node now: disable placement, revoke its credentials, power it off, evacuate it.")
    static final class Fence implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--reason", required = true, description = "Why; recorded in the fence and the audit trail.") String reason;

        @Option(names = "--wait", defaultValue = "120", description = "Seconds to wait for every step to end "
                + "(default ${DEFAULT-VALUE}); the power-off of a slow BMC can take a while.") long waitSeconds;

        /**
         * Exit status: 0 when every step is done; {@link #INCOMPLETE} naming the steps when any failed or was
         * skipped (or had not ended within {@code --wait}).
         */
        @Override
        public Integer call() throws InterruptedException {
            ApiClient api = target.client();
            JsonNode f = api.post(NodeCommand.path(name) + "/fence", Map.of("reason", reason));
            String id = f.path("id").asText();
            long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
            while (f.path("status").asText().equals("running") && System.nanoTime() < deadline) {
                Thread.sleep(200);
                for (JsonNode candidate : api.get(NodeCommand.path(name) + "/fences").path("items")) {
                    if (candidate.path("id").asText().equals(id)) {
                        f = candidate;
                    }
                }
            }
            List<String> undone = new ArrayList<>();
            f.path("steps").forEach(s -> {
                if (!s.path("status").asText().equals("done")) {
                    undone.add(s.path("step").asText() + " " + s.path("status").asText());
                }
            });
            if (target.json) {
                Out.json(f);
            } else {
                System.out.println("fence " + id + " of " + name + ": " + f.path("status").asText());
                f.path("steps").forEach(s -> System.out.printf("  %-20s %-8s %s%n", s.path("step").asText(),
                        s.path("status").asText(), Out.text(s, "detail")));
            }
            if (undone.isEmpty()) {
                return 0;
            }
            System.err.println("drawbridge: fence of " + name + " is not complete: " + String.join(", ", undone)
                    + "; the node is fenced (no placement, certificates revoked) but check the steps above");
            return INCOMPLETE;
        }
    }

    /** Exit status of a fence with a step that failed, was skipped or did not end in time. */
    static final int INCOMPLETE = 5;

    @Command(name = "readmit", description = "Readmit a fenced node: needs a passing attestation since the fence and your approval.")
    static final class Readmit implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--approved-by", required = true, description = "Who approves; recorded.") String approver;
        @Option(names = "--reason", required = true, description = "Why it is safe now; recorded.") String reason;

        @Override
        public Integer call() {
            JsonNode n = target.client().post(NodeCommand.path(name) + "/readmit", Map.of("approved_by", approver,
                    "reason", reason));
            if (target.json) {
                Out.json(n);
            } else {
                System.out.println(name + " readmitted: now " + n.path("state").asText());
            }
            return 0;
        }
    }

    @Command(name = "accept-baseline", description = "After a planned update: take the PCR values the node's latest quote"
            + " proved as its new reference values (recorded with who and why).")
    static final class AcceptBaseline implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--approved-by", required = true) String approver;
        @Option(names = "--reason", required = true) String reason;

        @Override
        public Integer call() {
            JsonNode r = target.client().post(NodeCommand.path(name) + "/baseline", Map.of("approved_by", approver,
                    "reason", reason));
            if (target.json) {
                Out.json(r);
            } else {
                System.out.println("new baseline for " + name + ": " + r.path("pcrs").asText());
            }
            return 0;
        }
    }

    @Command(name = "instance", description = "Workloads placed on trusted hosts.",
            subcommands = {InstanceCreate.class, InstanceList.class, InstanceDelete.class})
    static final class Instance {
    }

    @Command(name = "create", description = "Create an instance; it is placed on an active host with a fresh trusted verdict.")
    static final class InstanceCreate implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--cpus", defaultValue = "1") int cpus;
        @Option(names = "--memory-mb", defaultValue = "512") long memory;

        @Override
        public Integer call() {
            JsonNode i = target.client().post("/v1/instances", Map.of("name", name, "cpus", cpus, "memory_mb", memory));
            if (target.json) {
                Out.json(i);
            } else {
                System.out.println(name + " " + i.path("state").asText() + (i.hasNonNull("node_id") ? " on "
                        + i.path("node_id").asText() : ": " + i.path("reason").asText()));
            }
            return 0;
        }
    }

    @Command(name = "list", description = "List instances and where they run.")
    static final class InstanceList implements Callable<Integer> {
        @Mixin Target target;

        @Override
        public Integer call() {
            JsonNode items = target.client().get("/v1/instances").path("items");
            if (target.json) {
                Out.json(items);
            } else {
                items.forEach(i -> System.out.printf("%-20s %-9s %-36s %s%n", i.path("name").asText(),
                        i.path("state").asText(), Out.text(i, "node_id"), Out.text(i, "reason")));
            }
            return 0;
        }
    }

    @Command(name = "delete", description = "Delete an instance; its host gets the room back.")
    static final class InstanceDelete implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() {
            JsonNode i = target.client().deleteJson("/v1/instances/"
                    + URLEncoder.encode(name, StandardCharsets.UTF_8));
            if (target.json) {
                Out.json(i);
            } else {
                System.out.println("deleted instance " + name + (i.hasNonNull("node_id") ? " (was on "
                        + i.path("node_id").asText() + ")" : ""));
            }
            return 0;
        }
    }
}
