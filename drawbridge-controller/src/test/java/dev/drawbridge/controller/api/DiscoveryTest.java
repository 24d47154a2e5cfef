package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.config.DiscoveryConfig;
import dev.drawbridge.controller.config.NetworkConfig;
import dev.drawbridge.controller.config.TrustConfig;
import dev.drawbridge.controller.discovery.DiscoveryService;
import dev.drawbridge.protocol.Announcement;
import dev.drawbridge.protocol.Mdns;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Discovery's bookkeeping on a running controller: a device is recorded and matched by id, by the MAC in an EUI-64
 * address, or not at all; one that comes back with another key is flagged, audited and unmatched until an operator
 * forgets it; auto-enrollment creates nothing unless switched on, and then only what the trust policy trusts. And
 * over real multicast on loopback: a JmDNS responder's announcement shows up in {@code GET /v1/discovered}.
 */
class DiscoveryTest {
    private static final String FP1 = "a".repeat(64);
    private static final String FP2 = "b".repeat(64);

    private static List<InetAddress> at(String... addresses) throws Exception {
        List<InetAddress> out = new java.util.ArrayList<>();
        for (String a : addresses) {
            out.add(InetAddress.getByName(a));
        }
        return out;
    }

    @Test
    @DisplayName("matched by id or by EUI-64 MAC; a new key is flagged and audited; forget clears; auto-enroll off"
            + " creates nothing")
    void bookkeeping(@TempDir Path dir) throws Exception {
        try (RunningController c = RunningController.start(dir)) {
            String nodeId = c.createNode("node-a"); // MAC 52:54:00:12:34:56
            DiscoveryService d = c.controller.discovery();
            long nodesBefore = c.get("/v1/nodes").json().path("items").size();

            d.record(new Announcement(Announcement.Role.AGENT, nodeId, 1, FP1), "node-a", at("fd00::1"), 9999);
            // 52:54:00:12:34:56 as a modified EUI-64 interface id: 5054:00ff:fe12:3456.
            d.record(new Announcement(Announcement.Role.CHASSIS_BMC, "bmc-7", 1, FP1), "bmc 7",
                    at("fd00::5054:ff:fe12:3456", "192.0.2.7"), 443);
            d.record(new Announcement(Announcement.Role.NODE_BMC, "stranger", 1, FP2), "stranger",
                    at("fd00::99"), 443);

            JsonNode items = c.get("/v1/discovered").json().path("items");
            assertThat(items).hasSize(3);
            Map<String, JsonNode> byId = new java.util.HashMap<>();
            items.forEach(i -> byId.put(i.path("id").asText(), i));
            assertThat(byId.get(nodeId).path("node").asText()).isEqualTo("node-a");
            assertThat(byId.get(nodeId).path("matched_by").asText()).isEqualTo("id");
            assertThat(byId.get("bmc-7").path("matched_by").asText()).isEqualTo("mac");
            assertThat(byId.get("bmc-7").path("role").asText()).isEqualTo("chassis-bmc");
            assertThat(byId.get("bmc-7").path("addresses").toString()).contains("192.0.2.7");
            assertThat(byId.get("stranger").path("node").isNull()).isTrue();
            assertThat(c.get("/v1/nodes").json().path("items").size()).as("auto-enroll is off: nothing created")
                    .isEqualTo(nodesBefore);

            c.clock.advance(Duration.ofMinutes(1));
            d.record(new Announcement(Announcement.Role.AGENT, nodeId, 1, FP2), "node-a", at("fd00::1"), 9999);
            JsonNode flagged = c.get("/v1/discovered").json().path("items");
            JsonNode again = java.util.stream.StreamSupport.stream(flagged.spliterator(), false)
                    .filter(i -> i.path("id").asText().equals(nodeId)).findFirst().orElseThrow();
            assertThat(again.path("flagged").asText()).contains("came back with key bbbbbbbbbbbbbbbb");
            assertThat(again.path("node").isNull()).as("a flagged device is not matched").isTrue();
            assertThat(again.path("fingerprint").asText()).isEqualTo(FP2);
            assertThat(Instant.parse(again.path("last_seen").asText()))
                    .isAfter(Instant.parse(again.path("first_seen").asText()));
            assertThat(c.get("/v1/events").text()).contains("discovery.fingerprint-changed");
            assertThat(c.call("GET", "/metrics", null, null).text())
                    .contains("drawbridge_discovered_devices{role=\"flagged\"} 1.0");

            // Still flagged on the next announcement with the same new key; forgetting clears it.
            d.record(new Announcement(Announcement.Role.AGENT, nodeId, 1, FP2), "node-a", at("fd00::1"), 9999);
            assertThat(d.find(nodeId).orElseThrow().flagged()).isPresent();
            assertThat(c.json("DELETE", "/v1/discovered/" + nodeId, null).status()).isEqualTo(200);
            assertThat(c.json("DELETE", "/v1/discovered/" + nodeId, null).status()).isEqualTo(404);
            d.record(new Announcement(Announcement.Role.AGENT, nodeId, 1, FP2), "node-a", at("fd00::1"), 9999);
            assertThat(d.find(nodeId).orElseThrow().flagged()).isEmpty();
            assertThat(d.find(nodeId).orElseThrow().nodeId()).hasValue(nodeId);

            // Without a scope the list is refused; with nodes:read it is not.
            assertThat(c.call("GET", "/v1/discovered", null, null).status()).isEqualTo(401);
        }
    }

    @Test
    @DisplayName("auto-enroll creates a node for a configured role and network only when the trust policy trusts it")
    void autoEnroll(@TempDir Path dir) throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), "networks:\n  trusted: [\"fd00:1::/64\"]\n");
        try (RunningController c = RunningController.start(dir.resolve("data"), cfg -> cfg
                .withTrust(new TrustConfig(policy.toString()))
                .withDiscovery(new DiscoveryConfig(false, List.of(), true, 4096, new DiscoveryConfig.AutoEnroll(true,
                        List.of("fd00::/16"), List.of("node-bmc")))))) {
            DiscoveryService d = c.controller.discovery();
            d.record(new Announcement(Announcement.Role.NODE_BMC, "bmc-trusted", 1, FP1), "BMC Trusted",
                    at("fd00:1::5054:ff:fe00:101"), 443);
            d.record(new Announcement(Announcement.Role.NODE_BMC, "bmc-waiting", 1, FP2), "bmc-waiting",
                    at("fd00:2::7"), 443);
            d.record(new Announcement(Announcement.Role.AGENT, "agent-x", 1, FP2), "agent-x", at("fd00:1::8"), 9999);
            d.record(new Announcement(Announcement.Role.NODE_BMC, "bmc-outside", 1, FP2), "bmc-outside",
                    at("2001:db8::9"), 443);

            JsonNode created = c.get("/v1/nodes/bmc-trusted").json();
            assertThat(created.path("name").asText()).isEqualTo("bmc-trusted");
            assertThat(created.path("macs").toString()).contains("52:54:00:00:01:01");
            assertThat(created.path("agent_address").asText()).isEqualTo("[fd00:1::5054:ff:fe00:101]:443");
            assertThat(d.find("bmc-trusted").orElseThrow().matchedBy()).hasValue("auto-enroll");
            assertThat(c.get("/v1/nodes/bmc-waiting").status()).as("the policy would not trust it").isEqualTo(404);
            assertThat(c.get("/v1/nodes/agent-x").status()).as("a role not configured").isEqualTo(404);
            assertThat(c.get("/v1/nodes/bmc-outside").status()).as("outside the networks").isEqualTo(404);
            String events = c.get("/v1/events").text();
            assertThat(events).contains("discovery.auto-enroll");
            assertThat(events).contains("refused");
        }
    }

    @Test
    @DisplayName("past discovery.max-devices a new device is dropped and counted; known ones are still updated")
    void bounded(@TempDir Path dir) throws Exception {
        try (RunningController c = RunningController.start(dir, cfg -> cfg.withDiscovery(new DiscoveryConfig(false,
                List.of(), true, 3, new DiscoveryConfig.AutoEnroll(false, List.of(), List.of()))))) {
            DiscoveryService d = c.controller.discovery();
            for (int i = 0; i < 5; i++) {
                d.record(new Announcement(Announcement.Role.NODE_BMC, "flood-" + i, 1, FP1), "f" + i,
                        at("fd00::" + (i + 1)), 443);
            }
            assertThat(c.get("/v1/discovered").json().path("items")).hasSize(3);
            assertThat(d.droppedDevices()).isEqualTo(2);
            c.clock.advance(Duration.ofMinutes(1));
            assertThat(d.record(new Announcement(Announcement.Role.NODE_BMC, "flood-0", 1, FP1), "f0",
                    at("fd00::1"), 443)).as("a known device is still recorded").isPresent();
            assertThat(d.find("flood-0").orElseThrow().lastSeen()).isEqualTo(c.clock.instant().truncatedTo(
                    java.time.temporal.ChronoUnit.MILLIS));
        }
    }

    @Test
    @DisplayName("an announcement over real multicast on loopback appears in GET /v1/discovered with its role")
    void overMulticast(@TempDir Path dir) throws Exception {
        try (RunningController c = RunningController.start(dir, cfg -> cfg.withDiscovery(new DiscoveryConfig(true,
                List.of("127.0.0.1"), true, 4096, new DiscoveryConfig.AutoEnroll(false, List.of(), List.of()))));
             Mdns other = Mdns.open(List.of(InetAddress.getByName("127.0.0.1")), "other-host")) {
            other.announce("chassis-bmc-9", 443, new Announcement(Announcement.Role.CHASSIS_BMC, "bmc-9", 1, FP1));
            List<Announcement> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
            other.browse(s -> {
                try {
                    heard.add(Announcement.parse(s.txt()));
                } catch (Announcement.Invalid e) {
                    throw new AssertionError(e);
                }
            });
            Instant end = Instant.now().plusSeconds(20);
            JsonNode found = null;
            while (found == null && Instant.now().isBefore(end)) {
                for (JsonNode i : c.get("/v1/discovered").json().path("items")) {
                    if (i.path("id").asText().equals("bmc-9")) {
                        found = i;
                    }
                }
                Thread.sleep(200);
            }
            assertThat(found).as("bmc-9 discovered within 20 s").isNotNull();
            assertThat(found.path("role").asText()).isEqualTo("chassis-bmc");
            assertThat(found.path("fingerprint").asText()).isEqualTo(FP1);
            assertThat(found.path("port").asInt()).isEqualTo(443);
            while (heard.stream().noneMatch(a -> a.role() == Announcement.Role.CONTROLLER)
                    && Instant.now().isBefore(end)) {
                Thread.sleep(200);
            }
            assertThat(heard).as("the controller announces itself").anySatisfy(a -> {
                assertThat(a.role()).isEqualTo(Announcement.Role.CONTROLLER);
                assertThat(a.id()).startsWith("ctl-");
            });
        }
    }

    @Test
    @DisplayName("the network plan: a stable ULA /64, the pair's preference, and each node's SLAAC address")
    void networkPlan(@TempDir Path dir) throws Exception {
        try (RunningController c = RunningController.start(dir, cfg -> cfg.withNetwork(
                new NetworkConfig("", "eth7", "active")))) {
            c.createNode("node-a");
            JsonNode plan = c.get("/v1/network/plan").json();
            assertThat(plan.path("prefix").asText()).startsWith("fd").endsWith("::/64");
            assertThat(plan.path("radvd_conf").asText()).contains("interface eth7 {")
                    .contains("AdvRoutePreference high;").contains("prefix " + plan.path("prefix").asText());
            byte[] expected = InetAddress.getByName(plan.path("prefix").asText().replace("/64", "")).getAddress();
            byte[] iid = {0x50, 0x54, 0x00, (byte) 0xff, (byte) 0xfe, 0x12, 0x34, 0x56}; // 52:54:00:12:34:56
            System.arraycopy(iid, 0, expected, 8, 8);
            assertThat(InetAddress.getByName(plan.path("expected").get(0).path("address").asText()))
                    .isEqualTo(InetAddress.getByAddress(expected));
            assertThat(plan.path("expected").get(0).path("address").asText()).doesNotContain(":0:0:");
            assertThat(c.get("/v1/network/plan").json().path("prefix").asText()).as("stable")
                    .isEqualTo(plan.path("prefix").asText());
        }
    }
}
