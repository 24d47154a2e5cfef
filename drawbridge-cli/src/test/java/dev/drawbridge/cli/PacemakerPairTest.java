package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.agent.Contacts;
import dev.drawbridge.controller.DataDir;
import dev.drawbridge.testkit.IpmiSim.Power;
import dev.drawbridge.testkit.IpmiSim;
import dev.drawbridge.testkit.NetBridge;
import dev.drawbridge.testkit.NetNs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real two-node Corosync/Pacemaker cluster, Debian's packages, each node in its own network namespace (and its own
 * mount, UTS and IPC namespaces, so two sets of cluster daemons share one machine: {@code interop/pacemaker/node.sh}),
 * running Drawbridge as a promotable clone of {@code ocf:drawbridge:controller} on one SQLite store, with STONITH
 * through each node's BMC by {@code fence_ipmilan} (one ipmi_sim per node). The active node loses power; the survivor
 * fences it through its BMC, promotes its own controller, and that controller polls the fleet. Then the fenced node
 * is powered on again and rejoins as the standby, while the survivor goes on polling alone.
 */
class PacemakerPairTest {
    private static final String PACKAGES = "corosync, pacemaker, pacemaker-cli-utils, fence-agents, util-linux, curl";

    @TempDir
    Path dir;

    /** One cluster node: its namespace, state directory, controller data directory and the pacemakerd process. */
    private static final class Node {
        final String name;
        final NetBridge.Member ns;
        final Path state;
        final Path data;
        final IpmiSim bmc;
        Process pacemakerd;

        Node(String name, NetBridge.Member ns, Path state, IpmiSim bmc) {
            this.name = name;
            this.ns = ns;
            this.state = state;
            this.data = state.resolve("srv/drawbridge/data");
            this.bmc = bmc;
        }

        ApiClient api() {
            return ApiClient.from(data, Map.of());
        }
    }

    @Test
    @DisplayName("Pacemaker in namespaces: the active node loses power, is fenced through its BMC by fence_ipmilan,"
            + " the standby's controller is promoted and polls the node; the fenced node rejoins as the standby")
    void pacemakerFailsOverThePair() throws Exception {
        NetNs.require("corosync", "corosync");
        NetNs.require("pacemakerd", "pacemaker");
        NetNs.require("crm_mon", "pacemaker-cli-utils");
        NetNs.require("cibadmin", "pacemaker-cli-utils");
        NetNs.require("stonith_admin", "pacemaker-cli-utils");
        NetNs.require("fence_ipmilan", "fence-agents");
        NetNs.require("ipmitool", "ipmitool");
        NetNs.require("unshare", "util-linux");
        NetNs.require("nsenter", "util-linux");
        NetNs.require("curl", "curl");
        String hex = HexFormat.of().formatHex(random(2));
        String fixed = "fd00:dc:" + hex + "::";
        Path repo = Path.of(System.getProperty("user.dir")).getParent();
        Path shared = Files.createDirectories(dir.resolve("shared"));
        String store = "jdbc:sqlite:" + shared.resolve("drawbridge.db");

        try (NetBridge lan = NetBridge.create("dbpm" + hex, fixed + "ff");
                IpmiSim bmcA = IpmiSim.start(fixed + "ff");
                IpmiSim bmcB = IpmiSim.start(fixed + "ff")) {
            List<Node> nodes = List.of(
                    new Node("ctl-a", lan.join("dbpa" + hex, "52:54:00:dc:0a:01", fixed + "1"), dir.resolve("ctl-a"),
                            bmcA),
                    new Node("ctl-b", lan.join("dbpb" + hex, "52:54:00:dc:0b:01", fixed + "2"), dir.resolve("ctl-b"),
                            bmcB));

            // One CA for both: made by a first run of ctl-a's controller on the shared store, then shared with ctl-b.
            Path dataA = nodes.get(0).data;
            ControllerProcess.start(dataA, dir.resolve("init.log"), Map.of("DRAWBRIDGE_STORE_URL", store,
                    "DRAWBRIDGE_CLUSTER_ENABLED", "true", "DRAWBRIDGE_CLUSTER_MODE", "pacemaker",
                    "DRAWBRIDGE_CLUSTER_NAME", "ctl-a")).kill();
            new DataDir(dataA).shareWith(nodes.get(1).data);
            for (int i = 0; i < 2; i++) {
                Node n = nodes.get(i);
                Files.writeString(n.state.resolve("srv/drawbridge/controller.yaml"), """
                        listen: "[%s]:8443"
                        store:
                          url: "%s"
                        cluster:
                          enabled: true
                          name: %s
                          mode: pacemaker
                          heartbeat: 500ms
                        conductor:
                          poll-interval: 500ms
                        """.formatted(fixed + (i + 1), store, n.name));
            }

            Path conf = Files.writeString(dir.resolve("corosync.conf"), """
                    totem {
                        version: 2
                        cluster_name: drawbridge-pair
                        transport: knet
                        crypto_cipher: aes256
                        crypto_hash: sha256
                        ip_version: ipv6
                    }
                    nodelist {
                        node {
                            name: ctl-a
                            nodeid: 1
                            ring0_addr: %s1
                        }
                        node {
                            name: ctl-b
                            nodeid: 2
                            ring0_addr: %s2
                        }
                    }
                    quorum {
                        provider: corosync_votequorum
                        two_node: 1
                    }
                    logging {
                        to_logfile: yes
                        logfile: /var/log/corosync/corosync.log
                        to_syslog: no
                        to_stderr: no
                        timestamp: on
                    }
                    """.formatted(fixed, fixed));
            Path authkey = Files.write(dir.resolve("authkey"), random(256));
            Files.setPosixFilePermissions(authkey, PosixFilePermissions.fromString("r--------"));
            Path launcher = ControllerProcess.launcher(dir);
            for (Node n : nodes) {
                boot(n, repo, conf, authkey);
            }
            Node first = nodes.get(0);
            await(Duration.ofSeconds(90), () -> crmMon(first).contains("Online: [ ctl-a ctl-b ]"),
                    "both nodes online in crm_mon", nodes);

            // The cluster's configuration: a fence_ipmilan device per node (never run on the node it fences), and
            // the promotable clone.
            for (Node n : nodes) {
                cib(first, "resources", """
                        <primitive id="fence-%1$s" class="stonith" type="fence_ipmilan">
                          <instance_attributes id="fence-%1$s-params">
                            <nvpair id="fence-%1$s-ip" name="ip" value="%2$s"/>
                            <nvpair id="fence-%1$s-ipport" name="ipport" value="%3$d"/>
                            <nvpair id="fence-%1$s-username" name="username" value="%4$s"/>
                            <nvpair id="fence-%1$s-password" name="password" value="%5$s"/>
                            <nvpair id="fence-%1$s-lanplus" name="lanplus" value="1"/>
                            <nvpair id="fence-%1$s-cipher" name="cipher" value="%6$d"/>
                            <nvpair id="fence-%1$s-hosts" name="pcmk_host_list" value="%1$s"/>
                          </instance_attributes>
                          <operations>
                            <op id="fence-%1$s-monitor" name="monitor" interval="60s"/>
                          </operations>
                        </primitive>""".formatted(n.name, n.bmc.host(), n.bmc.port(), n.bmc.user(),
                        n.bmc.password(), n.bmc.cipherSuite()));
                cib(first, "constraints", """
                        <rsc_location id="fence-%1$s-elsewhere" rsc="fence-%1$s" node="%1$s" score="-INFINITY"/>
                        """.formatted(n.name));
            }
            cib(first, "resources", """
                    <clone id="drawbridge-clone">
                      <meta_attributes id="drawbridge-clone-meta">
                        <nvpair id="drawbridge-clone-promotable" name="promotable" value="true"/>
                        <nvpair id="drawbridge-clone-promoted-max" name="promoted-max" value="1"/>
                        <nvpair id="drawbridge-clone-max" name="clone-max" value="2"/>
                      </meta_attributes>
                      <primitive id="drawbridge" class="ocf" provider="drawbridge" type="controller">
                        <instance_attributes id="drawbridge-params">
                          <nvpair id="drawbridge-launcher" name="launcher" value="%s"/>
                          <nvpair id="drawbridge-config" name="config" value="/srv/drawbridge/controller.yaml"/>
                          <nvpair id="drawbridge-data-dir" name="data_dir" value="/srv/drawbridge/data"/>
                        </instance_attributes>
                        <operations>
                          <op id="drawbridge-start" name="start" interval="0s" timeout="90s"/>
                          <op id="drawbridge-stop" name="stop" interval="0s" timeout="60s"/>
                          <op id="drawbridge-promote" name="promote" interval="0s" timeout="30s"/>
                          <op id="drawbridge-demote" name="demote" interval="0s" timeout="30s"/>
                          <op id="drawbridge-monitor-promoted" name="monitor" interval="3s" role="Promoted"
                              timeout="20s"/>
                          <op id="drawbridge-monitor-unpromoted" name="monitor" interval="4s" role="Unpromoted"
                              timeout="20s"/>
                        </operations>
                      </primitive>
                    </clone>""".formatted(launcher));
            // Promoted in crm_mon, and its controller answering as the active one: under load Pacemaker may recover
            // a resource (stop, start, promote again) just after crm_mon first shows it promoted.
            await(Duration.ofSeconds(120), () -> {
                String name = promoted(first);
                return name != null && nodes.stream().allMatch(n -> answers(n, n.name.equals(name)));
            }, "Pacemaker promoting one controller, that one answering as the active one and the other as a standby",
                    nodes);
            String promotedName = promoted(first);
            Node active = nodes.stream().filter(n -> n.name.equals(promotedName)).findFirst().orElseThrow();
            Node standby = nodes.get(active == nodes.get(0) ? 1 : 0);
            assertThat(active.api().get("/v1/cluster").path("active").asBoolean()).isTrue();
            assertThat(standby.api().get("/v1/cluster").path("active").asBoolean()).isFalse();

            // A node, created through the standby (any member answers), driven by the active one.
            ApiClient api = standby.api();
            String mac = "52:54:00:dc:00:01";
            api.post("/v1/nodes", Map.of("name", "pm-1", "macs", List.of(mac)));
            String payload = api.post(NodeCommand.path("pm-1") + "/payload", Map.of("mode", "poll")).path("payload")
                    .asText();
            try (SimulatedNode node = SimulatedNode.start(dir.resolve("pm-1"), fixed + "ff", payload,
                    SimulatedNode.profile(mac))) {
                api.patch(NodeCommand.path("pm-1"), Map.of("agent_address", node.address(), "labels",
                        Map.of("root-device", node.disk().toString())));
                api.post(NodeCommand.path("pm-1") + "/actions", Map.of("action", "manage"));
                await(Duration.ofSeconds(60), () -> api.get(NodeCommand.path("pm-1")).path("state").asText()
                        .equals("manageable"), "pm-1 manageable", nodes);
                List<Contacts.Contact> before = node.agent().contacts().list();
                String activeCert = before.get(before.size() - 1).controller();
                assertThat(before).extracting(Contacts.Contact::controller).containsOnly(activeCert);
                long epochBefore = before.get(before.size() - 1).epoch();

                // Power cut on the active node: every process in its namespace, the cluster daemons included.
                Instant cut = Instant.now();
                active.ns.powerCut();
                await(Duration.ofSeconds(120), () -> standby.name.equals(promoted(standby)),
                        "Pacemaker promoting the survivor " + standby.name, nodes);
                Instant promotedAt = Instant.now();
                await(Duration.ofSeconds(30), () -> node.agent().contacts().list().stream()
                        .anyMatch(c -> c.at().isAfter(cut) && !c.controller().equals(activeCert)),
                        "the promoted controller polling pm-1", nodes);
                Contacts.Contact taken = node.agent().contacts().list().stream().filter(c -> c.at().isAfter(cut))
                        .findFirst().orElseThrow();
                assertThat(taken.epoch()).as("the survivor polls at a higher epoch").isGreaterThan(epochBefore);

                // Fenced through its BMC before the promotion: fence_ipmilan rebooted the dead node's chassis (off,
                // then on: Pacemaker's default stonith-action); nothing was asked of the survivor's BMC.
                assertThat(active.bmc.powerChanges()).as("power changes asked of " + active.name + "'s BMC; "
                        + fenceHistory(standby, active.name)).containsExactly(Power.OFF, Power.ON);
                assertThat(standby.bmc.powerChanges()).isEmpty();
                String history = pcmk(standby, "stonith_admin", "--history", active.name);
                assertThat(history).contains("reboot of " + active.name + " successful");
                System.out.println("pacemaker: power cut of " + active.name + "; survivor promoted after "
                        + Duration.between(cut, promotedAt).toMillis() + " ms, first poll by it after "
                        + Duration.between(cut, taken.at()).toMillis() + " ms; fence history: "
                        + history.strip().replace('\n', ' '));

                // The fenced node boots again (its BMC powered it back on; a namespace cannot boot by itself, so the
                // test starts its cluster stack) and rejoins: it is the standby now, the survivor stays active and
                // alone polls pm-1 through the next ten polls.
                boot(active, repo, conf, authkey);
                await(Duration.ofSeconds(120), () -> crmMon(standby).contains("Online: [ ctl-a ctl-b ]")
                        && crmMon(standby).contains("Unpromoted: [ " + active.name + " ]"),
                        active.name + " back as the unpromoted instance", nodes);
                assertThat(promoted(standby)).isEqualTo(standby.name);
                await(Duration.ofSeconds(30), () -> hasActive(active.api(), false), active.name
                        + "'s controller answering as a standby", nodes);
                Instant rejoined = Instant.now();
                await(Duration.ofSeconds(60), () -> node.agent().contacts().list().stream()
                        .filter(c -> c.at().isAfter(rejoined)).count() >= 10, "ten polls after the rejoin", nodes);
                List<Contacts.Contact> after = node.agent().contacts().list().stream()
                        .filter(c -> c.at().isAfter(rejoined)).toList();
                assertThat(after).extracting(Contacts.Contact::controller).containsOnly(taken.controller());
                assertThat(hasActive(standby.api(), true)).isTrue();
                assertThat(hasActive(active.api(), false)).isTrue();
            }
        }
    }

    /** Starts the node's cluster stack (corosync, then pacemakerd) in its namespaces. */
    private static void boot(Node n, Path repo, Path conf, Path authkey) {
        Path log = n.state.resolve("node.log");
        n.pacemakerd = n.ns.start(List.of("unshare", "--mount", "--uts", "--ipc", "--propagation", "private", "sh",
                repo.resolve("interop/pacemaker/node.sh").toString(), n.state.toString(), n.name, conf.toString(),
                authkey.toString(), repo.resolve("packaging/ocf/drawbridge").toString()), log);
    }

    private static boolean hasActive(ApiClient api, boolean active) {
        try {
            return api.get("/v1/cluster").path("active").asBoolean() == active;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Whether the node's controller answers, saying it is the active one or (not {@code active}) a standby. */
    private static boolean answers(Node n, boolean active) {
        try {
            return n.api().get("/v1/cluster").path("active").asBoolean() == active;
        } catch (CliException e) {
            return false;
        }
    }

    /** The node crm_mon shows as promoted, as seen from {@code from}; null when none. */
    private static String promoted(Node from) {
        for (String line : crmMon(from).split("\n")) {
            String l = line.strip();
            if (l.startsWith("* Promoted: [ ")) {
                return l.substring("* Promoted: [ ".length(), l.length() - 2).strip();
            }
        }
        return null;
    }

    private static String fenceHistory(Node n, String target) {
        try {
            return pcmk(n, "stonith_admin", "--history", target) + pcmk(n, "crm_mon", "-1", "--include=all");
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }

    private static String crmMon(Node n) {
        try {
            return pcmk(n, "crm_mon", "-1");
        } catch (RuntimeException e) {
            return "";
        }
    }

    private static void cib(Node n, String section, String xml) {
        pcmk(n, "cibadmin", "--create", "-o", section, "--xml-text", xml.strip());
    }

    /** Runs a cluster tool inside the node's namespaces (those of its pacemakerd); its output, or fails. */
    private static String pcmk(Node n, String... command) {
        List<String> all = new ArrayList<>(List.of("nsenter", "-t", Long.toString(n.pacemakerd.pid()), "-m", "-u",
                "-i", "-n"));
        all.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(all).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " on " + n.name + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private static void await(Duration timeout, BooleanSupplier done, String what, List<Node> nodes)
            throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                StringBuilder logs = new StringBuilder();
                for (Node n : nodes) {
                    logs.append("\n--- ").append(n.name).append(": ").append(crmMon(n));
                    Path log = n.data.resolve("controller.log");
                    if (Files.exists(log)) {
                        List<String> lines = Files.readAllLines(log);
                        logs.append(String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
                    }
                }
                throw new AssertionError("not within " + timeout.toSeconds() + " s: " + what + " (" + PACKAGES + ")"
                        + logs);
            }
            Thread.sleep(250);
        }
    }
}
