package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code drawbridge node ...}: inventory and enrollment tickets. */
@Command(name = "node", description = "Manage node inventory and enrollment tickets.",
        subcommands = {NodeCommand.Create.class, NodeCommand.ListNodes.class, NodeCommand.Show.class,
                NodeCommand.Delete.class, NodeCommand.Enroll.class, LifecycleCommands.Manage.class,
                LifecycleCommands.Provide.class, LifecycleCommands.Deploy.class, LifecycleCommands.Undeploy.class,
                LifecycleCommands.Rescue.class, LifecycleCommands.Unrescue.class, LifecycleCommands.Payload.class, WatchCommand.class,
                FenceCommands.AcceptBaseline.class})
final class NodeCommand {
    static String path(String nameOrId) {
        return "/v1/nodes/" + URLEncoder.encode(nameOrId, StandardCharsets.UTF_8);
    }

    @Command(name = "create", description = "Add a node to inventory.")
    static final class Create implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "NAME", description = "Host name; becomes the certificate's CN and DNS name.") String name;
        @Option(names = "--mac", description = "Expected MAC address (repeatable).") List<String> macs = List.of();
        @Option(names = "--label", description = "key=value label (repeatable).") Map<String, String> labels = Map.of();
        @Option(names = "--bmc", description = "BMC address, host or host:port.") String bmc;
        @Option(names = "--agent", description = "Agent address, host:port.") String agent;
        @Option(names = "--system-uuid", description = "Expected SMBIOS system UUID, checked at manage.") String uuid;
        @Option(names = "--bmc-user", description = "This node's BMC user (default: fencing.bmc-username).") String bmcUser;
        @Option(names = "--bmc-password-ref", description = "Where this node's BMC password is read when fencing: "
                + "file:/path or env:NAME (default: fencing.bmc-password-file). The password itself is never sent.")
        String bmcPasswordRef;

        @Override
        public Integer call() {
            ObjectNode body = ApiClient.JSON.createObjectNode().put("name", name);
            if (bmcUser != null) {
                body.put("bmc_username", bmcUser);
            }
            if (bmcPasswordRef != null) {
                body.put("bmc_password_ref", bmcPasswordRef);
            }
            macs.forEach(body.putArray("macs")::add);
            ObjectNode l = body.putObject("labels");
            labels.forEach(l::put);
            if (bmc != null) {
                body.put("bmc_address", bmc);
            }
            if (agent != null) {
                body.put("agent_address", agent);
            }
            if (uuid != null) {
                body.put("system_uuid", uuid);
            }
            JsonNode n = target.client().post("/v1/nodes", body);
            if (target.json) {
                Out.json(n);
            } else {
                System.out.println("created node " + n.path("name").asText() + " (" + n.path("id").asText() + ")");
            }
            return 0;
        }
    }

    @Command(name = "list", description = "List nodes, by name.")
    static final class ListNodes implements Callable<Integer> {
        @Mixin Target target;
        @Option(names = "--state", description = "Only nodes in this state.") String state;
        @Option(names = "--limit", defaultValue = "1000", description = "Page size (1-1000); all pages are fetched.") int limit;

        @Override
        public Integer call() {
            ApiClient client = target.client();
            var all = ApiClient.JSON.createArrayNode();
            String after = null;
            do {
                StringBuilder q = new StringBuilder("/v1/nodes?limit=" + limit);
                if (state != null) {
                    q.append("&state=").append(URLEncoder.encode(state, StandardCharsets.UTF_8));
                }
                if (after != null) {
                    q.append("&after=").append(URLEncoder.encode(after, StandardCharsets.UTF_8));
                }
                JsonNode page = client.get(q.toString());
                page.path("items").forEach(all::add);
                after = page.path("next").isTextual() ? page.path("next").asText() : null;
            } while (after != null);
            if (target.json) {
                Out.json(all);
            } else {
                System.out.printf("%-24s %-12s %-36s %s%n", "NAME", "STATE", "ID", "MACS");
                all.forEach(Out::nodeLine);
            }
            return 0;
        }
    }

    @Command(name = "show", description = "Show one node and its certificates.")
    static final class Show implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() {
            ApiClient client = target.client();
            JsonNode n = client.get(path(name));
            JsonNode certs = client.get(path(name) + "/certificates");
            if (target.json) {
                ((ObjectNode) n).set("certificates", certs.path("items"));
                Out.json(n);
            } else {
                Out.nodeDetail(n);
                certs.path("items").forEach(c -> System.out.printf("certificate    %s %s until %s%n",
                        Out.text(c, "serial"), Out.text(c, "status"), Out.text(c, "not_after")));
            }
            return 0;
        }
    }

    @Command(name = "delete", description = "Remove a node from inventory (its certificate records stay for audit).")
    static final class Delete implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() {
            target.client().delete(path(name));
            if (target.json) {
                Out.json(Map.of("deleted", name));
            } else {
                System.out.println("deleted node " + name);
            }
            return 0;
        }
    }

    @Command(name = "enroll", description = "Make a one-time enrollment ticket for a node (printed once).")
    static final class Enroll implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "NAME") String name;
        @ArgGroup(exclusive = true) Lifetime lifetime;

        static final class Lifetime {
            @Option(names = "--lifetime", description = "How long the ticket stays valid, e.g. 30m or 2h (default from config: 1h).") String value;
        }

        @Override
        public Integer call() {
            ObjectNode body = ApiClient.JSON.createObjectNode();
            if (lifetime != null) {
                body.put("lifetime", lifetime.value);
            }
            JsonNode t = target.client().post(path(name) + "/tickets", body);
            if (target.json) {
                Out.json(t);
            } else {
                System.out.println(t.path("ticket").asText());
                System.err.println("ticket for " + name + " expires at " + t.path("expires_at").asText()
                        + "; it enrolls once. Give it to the node with its CSR at POST /v1/enroll.");
            }
            return 0;
        }
    }
}
