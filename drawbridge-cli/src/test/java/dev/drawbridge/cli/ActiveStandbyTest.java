package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.agent.Contacts;
import dev.drawbridge.controller.DataDir;
import dev.drawbridge.testkit.NetNs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chassis shape: two controllers, one active. The OCF resource agent in packaging/ocf passes Debian's
 * ocf-tester (start, stop, monitor, promote, demote, meta-data, validate-all) against a real controller; and the
 * built-in mode, for when Pacemaker is absent, hands the fleet to the standby when the active one is killed.
 */
class ActiveStandbyTest {
    @TempDir Path dir;

    @Test
    @DisplayName("packaging/ocf/drawbridge passes ocf-tester, promote and demote included, against a real controller")
    void ocfAgentPassesOcfTester() throws Exception {
        NetNs.require("ocf-tester", "resource-agents");
        NetNs.require("curl", "curl");
        NetNs.require("xmllint", "libxml2-utils");
        Path data = dir.resolve("ocf-data");
        Path config = Files.writeString(dir.resolve("controller.yaml"), """
                listen: "127.0.0.1:0"
                cluster:
                  enabled: true
                  name: ocf-1
                  mode: pacemaker
                  heartbeat: 500ms
                """);
        Path launcher = ControllerProcess.launcher(dir);
        // ocf-tester runs the agent as nobody too, so it must sit where nobody can reach it (a checkout under a
        // private temporary directory is not): a copy, 0755, in a 0755 directory.
        Path shared = Files.createTempDirectory(Path.of("/tmp"), "drawbridge-ocf-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Path agent = shared.resolve("drawbridge");
        Files.copy(Path.of(System.getProperty("user.dir")).getParent().resolve("packaging/ocf/drawbridge"), agent);
        Files.setPosixFilePermissions(agent, PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessBuilder pb = new ProcessBuilder("ocf-tester", "-v", "-n", "drawbridge", "-o", "launcher=" + launcher,
                "-o", "config=" + config, "-o", "data_dir=" + data, agent.toString()).redirectErrorStream(true);
        pb.environment().put("OCF_ROOT", "/usr/lib/ocf");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean ended = p.waitFor(5, TimeUnit.MINUTES);
        try {
            assertThat(ended).as("ocf-tester finished").isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("drawbridge passed all tests");
            assertThat(out).contains("Testing: demotion of started resource").contains("Promoting resource");
        } finally {
            ProcessBuilder stop = new ProcessBuilder(agent.toString(), "stop").inheritIO();
            stop.environment().putAll(Map.of("OCF_ROOT", "/usr/lib/ocf", "OCF_RESKEY_launcher", launcher.toString(),
                    "OCF_RESKEY_config", config.toString(), "OCF_RESKEY_data_dir", data.toString()));
            stop.start().waitFor(60, TimeUnit.SECONDS);
            Files.deleteIfExists(agent);
            Files.deleteIfExists(shared);
        }
        System.out.println("ocf-tester: " + out.lines().filter(l -> l.contains("passed")).findFirst().orElse(""));
    }

    @Test
    @DisplayName("built-in active/standby on one SQLite file: kill -9 the active controller, the standby takes the"
            + " lease and polls the fleet; the killed one comes back as a standby")
    void builtInStandbyTakesOver() throws Exception {
        Path shared = Files.createDirectories(dir.resolve("shared"));
        Path dataA = dir.resolve("a");
        Path dataB = dir.resolve("b");
        Map<String, String> common = Map.of("DRAWBRIDGE_STORE_URL", "jdbc:sqlite:" + shared.resolve("drawbridge.db"),
                "DRAWBRIDGE_CLUSTER_ENABLED", "true", "DRAWBRIDGE_CLUSTER_MODE", "active-standby",
                "DRAWBRIDGE_CLUSTER_HEARTBEAT", "500ms", "DRAWBRIDGE_CLUSTER_LEASE_TTL", "2s",
                "DRAWBRIDGE_CONDUCTOR_POLL_INTERVAL", "500ms");
        ControllerProcess a = ControllerProcess.start(dataA, dir.resolve("a.log"), with(common, "a"));
        ControllerProcess b = null;
        SimulatedNode node = null;
        try {
            new DataDir(dataA).shareWith(dataB);
            b = ControllerProcess.start(dataB, dir.resolve("b.log"), with(common, "b"));
            ApiClient apiA = ApiClient.from(dataA, Map.of());
            ApiClient apiB = ApiClient.from(dataB, Map.of());
            await(() -> apiA.get("/v1/cluster").path("active").asBoolean()
                    != apiB.get("/v1/cluster").path("active").asBoolean(), "one active controller and one standby");
            boolean aActive = apiA.get("/v1/cluster").path("active").asBoolean();
            ControllerProcess active = aActive ? a : b;
            ApiClient standbyApi = aActive ? apiB : apiA;

            String mac = "52:54:00:ab:00:01";
            standbyApi.post("/v1/nodes", Map.of("name", "pair-1", "macs", List.of(mac)));
            String payload = standbyApi.post(NodeCommand.path("pair-1") + "/payload", Map.of("mode", "poll"))
                    .path("payload").asText();
            node = SimulatedNode.start(dir.resolve("pair-1"), "127.0.0.1", payload, SimulatedNode.profile(mac));
            standbyApi.patch(NodeCommand.path("pair-1"), Map.of("agent_address", node.address(), "labels",
                    Map.of("root-device", node.disk().toString())));
            standbyApi.post(NodeCommand.path("pair-1") + "/actions", Map.of("action", "manage"));
            await(() -> standbyApi.get(NodeCommand.path("pair-1")).path("state").asText().equals("manageable"),
                    "pair-1 manageable (written through the standby, driven by the active one)");
            List<Contacts.Contact> before = node.agent().contacts().list();
            String activeCert = before.get(before.size() - 1).controller();
            assertThat(before).extracting(Contacts.Contact::controller).containsOnly(activeCert);

            Instant killed = Instant.now();
            active.kill();
            SimulatedNode n = node;
            await(() -> standbyApi.get("/v1/cluster").path("active").asBoolean(), "the standby taking the lease");
            await(() -> n.agent().contacts().list().stream().anyMatch(c -> c.at().isAfter(killed)
                    && !c.controller().equals(activeCert)), "the new active controller polling pair-1");
            Instant polled = n.agent().contacts().list().stream().filter(c -> c.at().isAfter(killed))
                    .map(Contacts.Contact::at).findFirst().orElseThrow();
            System.out.println("active/standby: the standby polled pair-1 " + Duration.between(killed, polled)
                    .toMillis() + " ms after the active one was killed");
            JsonNode lease = standbyApi.get("/v1/cluster").path("leases").get(0);
            assertThat(lease.path("name").asText()).isEqualTo("active");
            assertThat(lease.path("epoch").asLong()).isGreaterThanOrEqualTo(2);

            // The killed one restarts: it stays a standby while the other holds the lease.
            Path killedData = aActive ? dataA : dataB;
            ControllerProcess back = ControllerProcess.start(killedData, dir.resolve("back.log"),
                    with(common, aActive ? "a" : "b"));
            if (aActive) {
                a = back;
            } else {
                b = back;
            }
            Thread.sleep(3000);
            assertThat(ApiClient.from(killedData, Map.of()).get("/v1/cluster").path("active").asBoolean())
                    .as("the restarted controller waits as a standby").isFalse();
            assertThat(standbyApi.get("/v1/cluster").path("active").asBoolean()).isTrue();
        } finally {
            if (node != null) {
                node.close();
            }
            a.close();
            if (b != null) {
                b.close();
            }
        }
    }

    @Test
    @DisplayName("pacemaker mode, the old active one alive: a promote of the standby seizes the lease at a higher"
            + " epoch; the old one stops polling and its requests are never accepted after the new one's; then the"
            + " pair swaps back by demote and promote")
    void promoteWhileTheOldActiveLives() throws Exception {
        Path shared = Files.createDirectories(dir.resolve("pm-shared"));
        Path dataA = dir.resolve("pm-a");
        Path dataB = dir.resolve("pm-b");
        Map<String, String> common = Map.of("DRAWBRIDGE_STORE_URL", "jdbc:sqlite:" + shared.resolve("drawbridge.db"),
                "DRAWBRIDGE_CLUSTER_ENABLED", "true", "DRAWBRIDGE_CLUSTER_MODE", "pacemaker",
                "DRAWBRIDGE_CLUSTER_HEARTBEAT", "500ms", "DRAWBRIDGE_CLUSTER_LEASE_TTL", "2s");
        ControllerProcess a = ControllerProcess.start(dataA, dir.resolve("pm-a.log"), with(common, "a"));
        new DataDir(dataA).shareWith(dataB);
        try (a; ControllerProcess b = ControllerProcess.start(dataB, dir.resolve("pm-b.log"), with(common, "b"))) {
            ApiClient apiA = ApiClient.from(dataA, Map.of());
            ApiClient apiB = ApiClient.from(dataB, Map.of());
            assertThat(apiA.get("/v1/cluster").path("active").asBoolean()).as("nobody is active unpromoted").isFalse();
            long first = apiA.post("/v1/cluster/promote", Map.of()).path("epoch").asLong();

            String mac = "52:54:00:ab:00:07";
            apiA.post("/v1/nodes", Map.of("name", "pm-1", "macs", List.of(mac)));
            String payload = apiA.post(NodeCommand.path("pm-1") + "/payload", Map.of("mode", "poll"))
                    .path("payload").asText();
            try (SimulatedNode node = SimulatedNode.start(dir.resolve("pm-1"), "127.0.0.1", payload,
                    SimulatedNode.profile(mac))) {
                apiA.patch(NodeCommand.path("pm-1"), Map.of("agent_address", node.address(), "labels",
                        Map.of("root-device", node.disk().toString())));
                apiA.post(NodeCommand.path("pm-1") + "/actions", Map.of("action", "manage"));
                await(() -> apiA.get(NodeCommand.path("pm-1")).path("state").asText().equals("manageable"),
                        "pm-1 manageable, driven by a");
                String certA = last(node).controller();

                // Promote b while a is active and running (a resource manager told to, say after a manual move).
                long second = apiB.post("/v1/cluster/promote", Map.of()).path("epoch").asLong();
                assertThat(second).isGreaterThan(first);
                await(() -> !apiA.get("/v1/cluster").path("active").asBoolean(), "a noticing it lost the lease");
                await(() -> node.agent().contacts().list().stream().anyMatch(c -> c.epoch() == second),
                        "b polling pm-1 at its epoch");
                Thread.sleep(2000); // a few more polls, all b's
                List<Contacts.Contact> all = node.agent().contacts().list();
                int firstOfB = indexOfEpoch(all, second);
                assertThat(all.subList(firstOfB, all.size())).as("no request of a accepted after b's first")
                        .allMatch(c -> c.epoch() == second && !c.controller().equals(certA));
                // a logs that it lost the lease: at its renewal, or at a write the epoch check refused first.
                assertThat(Files.readString(dir.resolve("pm-a.log"))).contains("this controller is now a standby")
                        .containsAnyOf("lost the lease 'active'", "refused a write under the lease 'active'");

                // Back again, the orderly way: demote b, promote a.
                apiB.post("/v1/cluster/demote", Map.of());
                long third = apiA.post("/v1/cluster/promote", Map.of()).path("epoch").asLong();
                assertThat(third).isGreaterThan(second);
                await(() -> node.agent().contacts().list().stream().anyMatch(c -> c.epoch() == third),
                        "a polling pm-1 again at a new epoch");
                assertThat(apiB.get("/v1/cluster").path("active").asBoolean()).isFalse();
                List<Contacts.Contact> after = node.agent().contacts().list();
                assertThat(after.subList(indexOfEpoch(after, third), after.size()))
                        .allMatch(c -> c.epoch() == third && c.controller().equals(certA));
            }
        }
    }

    private static Contacts.Contact last(SimulatedNode node) {
        List<Contacts.Contact> all = node.agent().contacts().list();
        return all.get(all.size() - 1);
    }

    private static int indexOfEpoch(List<Contacts.Contact> all, long epoch) {
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).epoch() == epoch) {
                return i;
            }
        }
        throw new AssertionError("no contact at epoch " + epoch);
    }

    private static Map<String, String> with(Map<String, String> common, String name) {
        Map<String, String> env = new java.util.HashMap<>(common);
        env.put("DRAWBRIDGE_CLUSTER_NAME", name);
        return env;
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within 60 s: " + what);
            }
            Thread.sleep(100);
        }
    }
}
