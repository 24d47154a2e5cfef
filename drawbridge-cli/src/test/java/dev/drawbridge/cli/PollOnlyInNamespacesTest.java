package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.protocol.Wire;
import dev.drawbridge.testkit.NetNs;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Poll-only, proven on the wire: the agent runs as its own process in a network namespace whose nftables
 * output chain counts and drops every new TCP connection except to the image host. The controller is
 * reachable from the namespace, so an agent that tried to call it would be counted.
 */
class PollOnlyInNamespacesTest {
    private static final Pattern COUNTER = Pattern.compile("counter packets (\\d+)");
    @TempDir Path dir;

    @Test
    @DisplayName("a node in its own namespace goes manage -> provide -> deploy -> active with zero outbound connection attempts")
    void pollOnlyLifecycleOpensNoConnectionToTheControlPlane() throws Exception {
        NetNs.require("nft", "nftables");
        long id = ProcessHandle.current().pid() % 0xffff;
        String net = "fd00:db:" + Long.toHexString(id) + "::";
        String host = net + "1";
        String node = net + "2";
        String image = net + "100";
        try (NetNs ns = NetNs.create("dbn" + id, "dbh" + id, host, node)) {
            ns.addHostAddress(image);
            ns.exec("nft", "add", "table", "inet", "guard");
            ns.exec("nft", "add", "chain", "inet", "guard", "out", "{ type filter hook output priority 0 ; policy accept ; }");
            ns.exec("nft", "add", "rule", "inet", "guard", "out", "ip6", "daddr", image, "tcp", "dport", "1-65535", "accept");
            ns.exec("nft", "add", "rule", "inet", "guard", "out", "oifname", "!=", "lo", "meta", "l4proto", "tcp",
                    "ct", "state", "new", "counter", "drop");
            try (Fleet fleet = new Fleet(dir, "[::]:0"); ImageServer images = new ImageServer(image, 0)) {
                fleet.api.post("/v1/nodes", Map.of("name", "ns-node", "macs", List.of("52:54:00:4e:53:01")));
                String payload = fleet.api.post(NodeCommand.path("ns-node") + "/payload", Map.of()).path("payload").asText();
                Path nodeDir = Files.createDirectories(dir.resolve("ns-node"));
                Path payloadFile = Files.writeString(nodeDir.resolve("payload.jws"), payload);
                Path profile = nodeDir.resolve("hardware.json");
                Path disk = nodeDir.resolve("disk.img");
                Files.write(disk, new byte[4 << 20]);
                // The agent erases only devices it reports: its profile names the file that stands in for its disk.
                Wire.JSON.writeValue(profile.toFile(), SimulatedNode.backedBy(SimulatedNode.profile("52:54:00:4e:53:01"),
                        disk.toAbsolutePath()));
                String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
                Process agent = ns.start(List.of(java, "-cp", System.getProperty("java.class.path"), "dev.drawbridge.cli.Main",
                        "agent", "--listen", "[" + node + "]:9999", "--data-dir", nodeDir.resolve("data").toString(),
                        "--payload", payloadFile.toString(), "--hardware-profile", profile.toString(),
                        "--reboot-command", "true"), nodeDir.resolve("agent.log"));
                awaitPort(node, 9999, agent, nodeDir.resolve("agent.log"));
                fleet.api.patch(NodeCommand.path("ns-node"), Map.of("agent_address", "[" + node + "]:9999",
                        "labels", Map.of("root-device", disk.toString())));
                String sha = images.publishRandom("/os.img", 2 << 20);

                fleet.act("ns-node", Map.of("action", "manage"));
                assertThat(fleet.awaitState("ns-node", "manageable").path("state").asText()).isEqualTo("manageable");
                fleet.act("ns-node", Map.of("action", "provide"));
                assertThat(fleet.awaitState("ns-node", "available").path("state").asText()).isEqualTo("available");
                fleet.act("ns-node", Map.of("action", "deploy", "image_url", images.url("/os.img"), "image_sha256", sha));
                JsonNode active = fleet.awaitState("ns-node", "active");
                assertThat(active.path("state").asText()).as(active.toString()).isEqualTo("active");
                assertThat(ImageServer.sha256(Arrays.copyOf(Files.readAllBytes(disk), 2 << 20))).isEqualTo(sha);

                assertThat(dropped(ns)).as("new outbound TCP connections from the node").isZero();

                // The rule really counts: an attempt to reach the controller from the node is dropped and counted.
                int probe = ns.execStatus("timeout", "3", "bash", "-c", "exec 3<>/dev/tcp/" + host + "/"
                        + fleet.controller.port());
                assertThat(probe).isNotZero();
                assertThat(dropped(ns)).isPositive();
            }
        }
    }

    private static long dropped(NetNs ns) {
        Matcher m = COUNTER.matcher(ns.exec("nft", "list", "chain", "inet", "guard", "out"));
        if (!m.find()) {
            throw new AssertionError("no counter in the guard chain");
        }
        return Long.parseLong(m.group(1));
    }

    private static void awaitPort(String addr, int port, Process agent, Path log) throws Exception {
        Instant end = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(end)) {
            if (!agent.isAlive()) {
                throw new AssertionError("agent exited: " + Files.readString(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(addr, port), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        throw new AssertionError("agent did not listen in time: " + Files.readString(log));
    }
}
