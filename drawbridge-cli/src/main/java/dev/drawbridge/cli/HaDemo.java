package dev.drawbridge.cli;

import dev.drawbridge.agent.Contacts;
import dev.drawbridge.controller.DataDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * {@code drawbridge demo --ha}: two controllers as their own processes on one embedded SQLite file, in the built-in
 * active/standby mode. Nodes are added through the standby's API and driven by the active one; the active one is
 * killed with SIGKILL; the standby takes the {@code active} lease at a higher epoch and polls the fleet; the killed
 * one restarts and waits as the standby.
 */
final class HaDemo {
    private final Path dataDir;
    private final int count;
    private final Consumer<String> say;
    private final List<Process> processes = new ArrayList<>();

    HaDemo(Path dataDir, int count, Consumer<String> say) {
        this.dataDir = dataDir;
        this.count = count;
        this.say = say;
    }

    Map<String, Object> run() throws Exception {
        Map<String, Object> summary = new LinkedHashMap<>();
        Path store = dataDir.resolve("shared").resolve("drawbridge.db").toAbsolutePath();
        Path a = dataDir.resolve("controller-a");
        Path b = dataDir.resolve("controller-b");
        List<SimulatedNode> nodes = new ArrayList<>();
        try {
            say.accept("[1/4] two controllers, each its own process and data directory, on one SQLite file (" + store
                    + "), cluster.mode active-standby; they share the CA (the same ca.p12 and passphrase) ...");
            Process pa = start(a, "a", store);
            new DataDir(a).shareWith(b);
            Process pb = start(b, "b", store);
            ApiClient apiA = ApiClient.from(a, Map.of());
            ApiClient apiB = ApiClient.from(b, Map.of());
            await(() -> active(apiA) != active(apiB), "one controller active and one standby");
            boolean aActive = active(apiA);
            String activeName = aActive ? "a" : "b";
            String standbyName = aActive ? "b" : "a";
            ApiClient standby = aActive ? apiB : apiA;
            Process activeProcess = aActive ? pa : pb;
            say.accept("      controller-" + activeName + " (pid " + activeProcess.pid() + ") holds the active lease"
                    + " and polls; controller-" + standbyName + " is the standby and polls nothing");

            say.accept("[2/4] adding " + count + " simulated nodes through the standby's API; the active one enrolls"
                    + " them ...");
            for (int i = 1; i <= count; i++) {
                String name = String.format(Locale.ROOT, "ha-%02d", i);
                String mac = String.format(Locale.ROOT, "52:54:00:0a:00:%02x", i);
                standby.post("/v1/nodes", Map.of("name", name, "macs", List.of(mac)));
                String payload = standby.post(NodeCommand.path(name) + "/payload", Map.of("mode", "poll"))
                        .path("payload").asText();
                SimulatedNode node = SimulatedNode.start(dataDir.resolve(name), "127.0.0.1", payload,
                        SimulatedNode.profile(mac));
                nodes.add(node);
                standby.patch(NodeCommand.path(name), Map.of("agent_address", node.address(), "labels",
                        Map.of("root-device", node.disk().toString())));
                standby.post(NodeCommand.path(name) + "/actions", Map.of("action", "manage"));
            }
            await(() -> standby.get("/v1/nodes?state=manageable").path("items").size() == count,
                    "every node manageable");
            say.accept("      " + count + " nodes manageable, every poll from controller-" + activeName);

            say.accept("[3/4] kill -9 controller-" + activeName + " (pid " + activeProcess.pid() + ") ...");
            Instant killed = Instant.now();
            activeProcess.destroyForcibly();
            activeProcess.waitFor(10, TimeUnit.SECONDS);
            await(() -> active(standby), "the standby taking the lease");
            long tookMs = Duration.between(killed, Instant.now()).toMillis();
            List<String> before = nodes.stream().map(n -> last(n.agent().contacts(), killed)).toList();
            await(() -> {
                for (int i = 0; i < nodes.size(); i++) {
                    String prior = before.get(i);
                    if (nodes.get(i).agent().contacts().list().stream().noneMatch(c -> c.at().isAfter(killed)
                            && !c.controller().equals(prior))) {
                        return false;
                    }
                }
                return true;
            }, "the new active controller polling every node");
            long polledMs = Duration.between(killed, Instant.now()).toMillis();
            long epoch = standby.get("/v1/cluster").path("leases").get(0).path("epoch").asLong();
            say.accept("      controller-" + standbyName + " took the active lease at epoch " + epoch + " "
                    + tookMs + " ms after the kill, and had polled every node by " + polledMs + " ms");

            say.accept("[4/4] restarting controller-" + activeName + ": it comes back as the standby ...");
            Process back = start(aActive ? a : b, activeName, store);
            ApiClient backApi = ApiClient.from(aActive ? a : b, Map.of());
            Thread.sleep(2000);
            boolean backActive = active(backApi);
            say.accept("      controller-" + activeName + " (pid " + back.pid() + ") is " + (backActive ? "active"
                    : "the standby") + "; controller-" + standbyName + " stays active");
            if (backActive) {
                throw new CliException("the restarted controller took the lease from a live active one: a bug");
            }
            summary.put("killed", "controller-" + activeName);
            summary.put("took_over", "controller-" + standbyName);
            summary.put("lease_epoch", epoch);
            summary.put("lease_taken_ms", tookMs);
            summary.put("all_polled_ms", polledMs);
            return summary;
        } finally {
            nodes.forEach(SimulatedNode::close);
            for (Process p : processes) {
                p.destroy();
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    private static String last(Contacts contacts, Instant before) {
        return contacts.list().stream().filter(c -> !c.at().isAfter(before)).reduce((x, y) -> y)
                .map(Contacts.Contact::controller).orElse("");
    }

    private static boolean active(ApiClient api) {
        try {
            return api.get("/v1/cluster").path("active").asBoolean();
        } catch (CliException e) {
            return false;
        }
    }

    private Process start(Path data, String name, Path store) throws IOException, InterruptedException {
        Files.createDirectories(data);
        Files.deleteIfExists(data.resolve("controller.url"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "dev.drawbridge.cli.Main", "controller", "--data-dir", data.toString(), "--listen", "127.0.0.1:0")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(
                        data.resolve("controller.log").toFile()));
        Map<String, String> env = pb.environment();
        env.put("DRAWBRIDGE_STORE_URL", "jdbc:sqlite:" + store);
        env.put("DRAWBRIDGE_CLUSTER_ENABLED", "true");
        env.put("DRAWBRIDGE_CLUSTER_NAME", "controller-" + name);
        env.put("DRAWBRIDGE_CLUSTER_MODE", "active-standby");
        env.put("DRAWBRIDGE_CLUSTER_HEARTBEAT", "500ms");
        env.put("DRAWBRIDGE_CLUSTER_LEASE_TTL", "2s");
        env.put("DRAWBRIDGE_CONDUCTOR_POLL_INTERVAL", "500ms");
        Process p = pb.start();
        processes.add(p);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(data.resolve("controller.url"))) {
            if (!p.isAlive() || System.nanoTime() > end) {
                throw new CliException("controller-" + name + " did not start; see " + data.resolve("controller.log"));
            }
            Thread.sleep(100);
        }
        return p;
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new CliException("the demo waited 60 s for " + what);
            }
            Thread.sleep(100);
        }
    }
}
