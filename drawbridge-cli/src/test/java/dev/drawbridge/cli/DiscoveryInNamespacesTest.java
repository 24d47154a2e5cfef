package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.config.DiscoveryConfig;
import dev.drawbridge.controller.config.NetworkConfig;
import dev.drawbridge.controller.trust.PeerService;
import dev.drawbridge.protocol.TicketProof;
import dev.drawbridge.protocol.Wire;
import dev.drawbridge.testkit.NetBridge;
import dev.drawbridge.testkit.NetNs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Discovery on a real link: three namespaces on one bridge, IPv6 SLAAC from a radvd running the controller's own
 * network plan, two foreign mDNS stacks (Debian's python3-zeroconf, and avahi with avahi-publish and avahi-browse)
 * publishing and browsing beside ours, and our agent as its own process announcing with --announce. The controller runs on the bridge's root side.
 */
class DiscoveryInNamespacesTest {
    private static final String PY = "/usr/bin/python3";
    @TempDir Path dir;

    @Test
    @DisplayName("radvd gives SLAAC addresses from the plan; zeroconf's and avahi-publish's services are discovered"
            + " with their roles; our announcements reach zeroconf and avahi-browse with their TXT; a new key is"
            + " flagged; auto-enroll off creates nothing")
    void discoveryOnALink() throws Exception {
        NetNs.require("radvd", "radvd");
        NetNs.require("avahi-daemon", "avahi-daemon");
        NetNs.require("avahi-publish", "avahi-utils");
        NetNs.require("dbus-daemon", "dbus-daemon");
        NetNs.require("python3", "python3-zeroconf");
        if (new ProcessBuilder(PY, "-c", "import zeroconf").start().waitFor() != 0) {
            throw new AssertionError("python3-zeroconf is missing: install the Debian package 'python3-zeroconf'");
        }
        Path zc = Path.of(System.getProperty("user.dir")).getParent().resolve("interop/mdns/zc.py");
        long id = ProcessHandle.current().pid() % 0xffff;
        String hex = Long.toHexString(id);
        String slaac = "fd00:dd:" + hex + "::";
        String fixed = "fd00:dc:" + hex + "::";
        try (NetBridge lan = NetBridge.create("dbbr" + hex, fixed + "ff");
             Fleet fleet = new Fleet(dir, "[::]:0", Duration.ofMinutes(60), "none", 0, cfg -> cfg
                     .withDiscovery(new DiscoveryConfig(true, List.of("dbbr" + hex), true, 4096,
                             new DiscoveryConfig.AutoEnroll(false, List.of(), List.of())))
                     .withNetwork(new NetworkConfig(slaac + "/64", "eth0", "active")))) {
            NetBridge.Member router = lan.join("dbr" + hex, "52:54:00:dd:00:0a", fixed + "a");
            NetBridge.Member zcHost = lan.join("dbz" + hex, "52:54:00:dd:00:01", "");
            NetBridge.Member agentHost = lan.join("dba" + hex, "52:54:00:dd:00:02", fixed + "2");
            fleet.api.post("/v1/nodes", Map.of("name", "bmc-zc", "macs", List.of("52:54:00:dd:00:01")));

            // radvd runs the controller's own plan.
            JsonNode plan = fleet.api.get("/v1/network/plan");
            assertThat(plan.path("prefix").asText()).isEqualTo(slaac + "/64");
            Path conf = Files.writeString(dir.resolve("radvd.conf"), plan.path("radvd_conf").asText());
            router.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
            router.start(List.of("radvd", "-n", "-C", conf.toString(), "-p", dir.resolve("radvd.pid").toString(),
                    "-m", "stderr"), dir.resolve("radvd.log"));
            String expected = plan.path("expected").get(0).path("address").asText();
            assertThat(expected).isEqualTo("fd00:dd:" + hex + ":0:5054:ff:fedd:1");
            await(() -> zcHost.exec("ip", "-6", "addr", "show", "dev", "eth0").contains(expected),
                    "SLAAC address " + expected + " in the zeroconf namespace", dir.resolve("radvd.log"));

            // A foreign stack publishes; the controller records it with its role, matched by its MAC.
            zcHost.start(List.of(PY, zc.toString(), "publish", "chassis bmc zc", "443", "role=chassis-bmc",
                    "id=zc-bmc-1", "v=1", "fp=" + "c".repeat(64)), dir.resolve("zc-publish.log"));
            JsonNode bmc = DiscoveryJourneyTest.awaitDevice(fleet, "zc-bmc-1", d -> d.path("node").isTextual());
            assertThat(bmc.path("role").asText()).isEqualTo("chassis-bmc");
            assertThat(bmc.path("node").asText()).isEqualTo("bmc-zc");
            assertThat(bmc.path("matched_by").asText()).isEqualTo("mac");
            assertThat(bmc.path("addresses").toString()).contains(expected);

            // avahi too (its daemon on a private D-Bus in the router's namespace): avahi-publish's service is recorded
            // with its role, unmatched (no node has its id), and avahi-browse reads our announcements below.
            Path avahi = Path.of(System.getProperty("user.dir")).getParent().resolve("interop/mdns/avahi-in-netns.sh");
            router.start(List.of("/bin/sh", avahi.toString(), dir.toString(), "eth0", "avahi bmc", "443",
                    "role=node-bmc", "id=avahi-bmc-1", "v=1", "fp=" + "e".repeat(64)), dir.resolve("avahi.log"));
            JsonNode published = DiscoveryJourneyTest.awaitDevice(fleet, "avahi-bmc-1", d -> true);
            assertThat(published.path("role").asText()).isEqualTo("node-bmc");
            assertThat(published.path("fingerprint").asText()).isEqualTo("e".repeat(64));
            // avahi announces one of the router's addresses per family: its static one, or the SLAAC one from its MAC.
            assertThat(published.path("addresses").toString()).containsAnyOf("\"" + fixed + "a\"",
                    "\"fd00:dd:" + hex + ":0:5054:ff:fedd:a\"");

            // A stray device that matches nothing: recorded, unmatched, and (auto-enroll off) no node is made.
            long nodes = fleet.api.get("/v1/nodes").path("items").size();
            agentHost.start(List.of(PY, zc.toString(), "publish", "stray", "443", "role=node-bmc", "id=stray-1",
                    "v=1", "fp=" + "d".repeat(64)), dir.resolve("zc-stray.log"));
            JsonNode stray = DiscoveryJourneyTest.awaitDevice(fleet, "stray-1", d -> true);
            assertThat(stray.path("node").isNull()).isTrue();
            assertThat(fleet.api.get("/v1/nodes").path("items").size()).isEqualTo(nodes);

            // Our agent, as its own process, announces; the controller matches it by id.
            fleet.api.post("/v1/nodes", Map.of("name", "ns-agent", "macs", List.of("52:54:00:dd:00:99")));
            String nodeId = fleet.api.get(NodeCommand.path("ns-agent")).path("id").asText();
            Process agent = startAgent(fleet, agentHost, "data-1");
            JsonNode announced = DiscoveryJourneyTest.awaitDevice(fleet, nodeId, d -> d.path("node").isTextual());
            assertThat(announced.path("role").asText()).isEqualTo("agent");
            assertThat(announced.path("matched_by").asText()).isEqualTo("id");
            String firstKey = announced.path("fingerprint").asText();

            // The foreign stack sees our announcements, TXT and all. The controller announces one responder per
            // address, and a resolution answers with some of them, so zeroconf browses again (at most three times)
            // until it has seen the controller's ULA address too.
            String controllerId = PeerService.controllerId(fleet.controller.ca().root());
            String browsed = "";
            List<JsonNode> services = new ArrayList<>();
            for (int attempt = 0; attempt < 3; attempt++) {
                browsed = zcHost.exec(PY, zc.toString(), "browse", "6");
                services.clear();
                for (String line : browsed.split("\n")) {
                    if (line.startsWith("{")) {
                        services.add(Wire.JSON.readTree(line));
                    }
                }
                if (services.stream().anyMatch(x -> x.path("txt").path("id").asText().equals(controllerId)
                        && x.path("addresses").toString().contains(fixed + "ff"))) {
                    break;
                }
            }
            String seen = browsed;
            // Each responder may be resolved as its own instance (a name conflict renames one): every one of them
            // carries the controller's TXT record, and together they hold its ULA address.
            List<JsonNode> ctls = services.stream()
                    .filter(s -> s.path("txt").path("id").asText().equals(controllerId)).toList();
            assertThat(ctls).as("zeroconf's view of the controller in: " + seen).isNotEmpty();
            for (JsonNode ctl : ctls) {
                assertThat(ctl.path("txt").path("role").asText()).isEqualTo("controller");
                assertThat(ctl.path("txt").path("v").asText()).isEqualTo("1");
                assertThat(ctl.path("txt").path("fp").asText())
                        .isEqualTo(TicketProof.fingerprintHex(fleet.controller.ca().root()));
            }
            assertThat(ctls.stream().map(c -> c.path("addresses").toString()).toList())
                    .as("the controller's addresses as zeroconf resolved them, in: " + seen)
                    .anyMatch(a -> a.contains("\"" + fixed + "ff\""));
            JsonNode ours = services.stream().filter(s -> s.path("txt").path("id").asText().equals(nodeId))
                    .findFirst().orElseThrow(() -> new AssertionError("zeroconf did not see the agent: " + seen));
            assertThat(ours.path("txt").path("role").asText()).isEqualTo("agent");
            assertThat(ours.path("txt").path("fp").asText()).isEqualTo(firstKey);

            // avahi-browse -rpt resolves the same announcements: the controller's and the agent's, TXT and key.
            Path browseFile = dir.resolve("avahi-browse.txt");
            await(() -> {
                try {
                    String b = Files.exists(browseFile) ? Files.readString(browseFile) : "";
                    return b.contains("\"id=" + controllerId + "\"") && b.contains("\"id=" + nodeId + "\"");
                } catch (IOException e) {
                    return false;
                }
            }, "avahi-browse resolving the controller and the agent", dir.resolve("avahi-daemon.log"));
            List<String> resolved = Files.readAllLines(browseFile).stream().filter(l -> l.startsWith("=;")).toList();
            String ctlLine = resolved.stream().filter(l -> l.contains("\"id=" + controllerId + "\"")).findFirst()
                    .orElseThrow();
            assertThat(ctlLine).contains("\"role=controller\"").contains("\"v=1\"")
                    .contains("\"fp=" + TicketProof.fingerprintHex(fleet.controller.ca().root()) + "\"");
            String agentLine = resolved.stream().filter(l -> l.contains("\"id=" + nodeId + "\"")).findFirst()
                    .orElseThrow();
            assertThat(agentLine).contains("\"role=agent\"").contains("\"fp=" + firstKey + "\"");

            // The agent comes back with a new key (a fresh data directory): flagged, unmatched, audited.
            agentHost.stop(agent);
            startAgent(fleet, agentHost, "data-2");
            JsonNode flagged = DiscoveryJourneyTest.awaitDevice(fleet, nodeId, d -> d.path("flagged").isTextual());
            assertThat(flagged.path("node").isNull()).isTrue();
            assertThat(flagged.path("fingerprint").asText()).isNotEqualTo(firstKey);
            assertThat(fleet.api.get("/v1/events?limit=500").toString()).contains("discovery.fingerprint-changed");
        }
    }

    private Process startAgent(Fleet fleet, NetBridge.Member host, String data) throws IOException {
        String payload = fleet.api.post(NodeCommand.path("ns-agent") + "/payload", Map.of()).path("payload").asText();
        Path nodeDir = Files.createDirectories(dir.resolve("ns-agent-" + data));
        Path payloadFile = Files.writeString(nodeDir.resolve("payload.jws"), payload);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return host.start(List.of(java, "-cp", System.getProperty("java.class.path"), "dev.drawbridge.cli.Main",
                "agent", "--listen", "[::]:9999", "--data-dir", nodeDir.resolve("data").toString(), "--payload",
                payloadFile.toString(), "--announce", "eth0"), nodeDir.resolve("agent.log"));
    }

    private static void await(java.util.function.BooleanSupplier condition, String what, Path log) throws Exception {
        Instant end = Instant.now().plus(Duration.ofSeconds(30));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(end)) {
                throw new AssertionError("timed out waiting for " + what + "; log: "
                        + (Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(none)"));
            }
            Thread.sleep(250);
        }
    }
}
