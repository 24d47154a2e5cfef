package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.Controller;
import dev.drawbridge.controller.config.ConfigLoader;
import dev.drawbridge.controller.config.ControllerConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificates are renewed over the poll channel before they expire, across a controller restart: the journey that
 * lost every node a day after enrollment. Node and controller certificates live 60 s; the run lasts five minutes.
 */
class RenewalEndToEndTest {
    private static final Duration LIFETIME = Duration.ofSeconds(60);
    private static final Duration RUN = Duration.ofMinutes(5);
    private static final List<String> NAMES = List.of("ren-1", "ren-2", "ren-3");
    @TempDir Path dir;

    private Controller start() {
        ControllerConfig cfg = ConfigLoader.load(Map.of()).withDataDir(dir.resolve("ctl").toString())
                .withListen("127.0.0.1:0");
        cfg = cfg.withConductor(cfg.conductor().withPollInterval(Duration.ofSeconds(1))
                        .withBusyPollInterval(Duration.ofMillis(100)))
                .withFencing(cfg.fencing().withPowerDriver("fake"))
                .withCa(cfg.ca().withLifetimes(LIFETIME, LIFETIME));
        return Controller.start(cfg, Clock.systemUTC());
    }

    @Test
    @DisplayName("three nodes with 60 s certificates stay reachable and trusted for five minutes and a restart, each lifetime a new serial")
    void certificatesRenewAcrossARestart() throws Exception {
        List<SimulatedNode> agents = new ArrayList<>();
        Controller controller = start();
        try {
            ApiClient api = ApiClient.from(controller.dataDir().root(), Map.of());
            for (int i = 0; i < NAMES.size(); i++) {
                String name = NAMES.get(i);
                String mac = "52:54:00:ee:00:0" + (i + 1);
                api.post("/v1/nodes", Map.of("name", name, "macs", List.of(mac)));
                String payload = api.post(NodeCommand.path(name) + "/payload", Map.of("mode", "poll")).path("payload")
                        .asText();
                SimulatedNode node = SimulatedNode.start(dir.resolve(name), "127.0.0.1", payload,
                        SimulatedNode.profile(mac));
                agents.add(node);
                api.patch(NodeCommand.path(name), Map.of("agent_address", node.address()));
                api.post(NodeCommand.path(name) + "/actions", Map.of("action", "manage"));
            }
            Map<String, Set<String>> serials = new HashMap<>();
            Instant end = Instant.now().plus(RUN);
            Instant restartAt = Instant.now().plus(RUN.dividedBy(2));
            boolean restarted = false;
            Instant settled = Instant.now().plus(Duration.ofSeconds(30));
            while (Instant.now().isBefore(end)) {
                if (!restarted && Instant.now().isAfter(restartAt)) {
                    controller.close();
                    controller = start();
                    api = ApiClient.from(controller.dataDir().root(), Map.of());
                    restarted = true;
                }
                for (String name : NAMES) {
                    JsonNode n = api.get(NodeCommand.path(name));
                    JsonNode certs = api.get(NodeCommand.path(name) + "/certificates").path("items");
                    certs.forEach(c -> serials.computeIfAbsent(name, k -> new HashSet<>()).add(c.path("serial").asText()));
                    if (Instant.now().isAfter(settled)) {
                        assertThat(n.path("state").asText()).as(name + ": " + n).isEqualTo("manageable");
                        assertThat(n.path("unreachable").asBoolean()).as(name + " unreachable: " + n).isFalse();
                        assertThat(api.get(NodeCommand.path(name) + "/attestations").path("current").asText())
                                .as(name).isEqualTo("trusted");
                        assertThat(certs.findValuesAsText("status")).as(name + " certificates").doesNotContain("revoked");
                    }
                }
                Thread.sleep(2_000);
            }
            for (String name : NAMES) {
                // 5 minutes of 60 s certificates renewed at 40 s: at least 6 certificates each, all different.
                assertThat(serials.get(name)).as(name + " serials").hasSizeGreaterThanOrEqualTo(6);
                JsonNode newest = api.get(NodeCommand.path(name) + "/certificates").path("items");
                assertThat(newest.findValuesAsText("status")).as(name).contains("good");
            }
            long renewed = 0;
            long after = 0;
            for (JsonNode page = api.get("/v1/events?limit=500"); page.path("items").size() > 0;
                 page = api.get("/v1/events?limit=500&after=" + after)) {
                for (JsonNode e : page.path("items")) {
                    if (e.path("kind").asText().equals("certificate.renew")
                            && e.path("outcome").asText().equals("granted")) {
                        renewed++;
                    }
                }
                after = page.path("next").asLong();
            }
            assertThat(renewed).as("renewal audit events").isGreaterThanOrEqualTo(15);
        } finally {
            agents.forEach(SimulatedNode::close);
            controller.close();
        }
    }
}
