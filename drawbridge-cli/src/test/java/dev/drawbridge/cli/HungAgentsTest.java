package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hung and slow agents hold only their own polls. Measured from the agents' side: each healthy simulated agent
 * counts the answers it gave and the longest stretch without one, while a third of the fleet never answers and
 * a third answers only after 1.5 s. The conductor here allows 20 polls in flight and waits 2 s for an answer, so
 * the 16 misbehaving agents could take most permits if they held more than their own poll, and the silent ones
 * must time out (and be flagged unreachable) rather than hang.
 */
class HungAgentsTest {
    private static final int EACH = 8;
    @TempDir Path dir;

    @Test
    @DisplayName("while a third of the fleet is silent and a third slow, every healthy agent is still polled at its "
            + "interval (0.5 s), the slow ones are answered late and the silent ones time out and are flagged")
    void hungAgentsDoNotDelayTheOthers() throws Exception {
        List<FleetNode> agents = new ArrayList<>();
        try (Fleet fleet = new Fleet(dir, "127.0.0.1:0", Duration.ofMinutes(60), "none", 0,
                c -> c.withConductor(c.conductor().withRequests(Duration.ofSeconds(2), 20)))) {
            for (int i = 1; i <= 3 * EACH; i++) {
                String name = String.format(Locale.ROOT, "hung-%02d", i);
                String mac = String.format(Locale.ROOT, "52:54:00:4a:00:%02x", i);
                fleet.api.post("/v1/nodes", Map.of("name", name, "macs", List.of(mac)));
                String payload = fleet.api.post(NodeCommand.path(name) + "/payload", Map.of("mode", "poll"))
                        .path("payload").asText();
                FleetNode agent = FleetNode.start(dir.resolve(name), name, "127.0.0.1", payload,
                        SimulatedNode.profile(mac));
                agents.add(agent);
                fleet.api.patch(NodeCommand.path(name), Map.of("agent_address", agent.address(),
                        "labels", Map.of("root-device", agent.disk().toString())));
                fleet.act(name, Map.of("action", "manage"));
            }
            for (FleetNode a : agents) {
                fleet.awaitState(a.name(), "manageable");
                fleet.await(a.name(), x -> fleet.api.get(NodeCommand.path(a.name()) + "/attestations").path("current")
                        .asText().equals("trusted"), Duration.ofSeconds(30));
            }
            List<FleetNode> silent = agents.subList(0, EACH);
            List<FleetNode> slow = agents.subList(EACH, 2 * EACH);
            List<FleetNode> healthy = agents.subList(2 * EACH, 3 * EACH);
            silent.forEach(a -> a.faults().silence(true));
            slow.forEach(a -> a.faults().delay(1_500));
            agents.forEach(a -> a.faults().resetCounts());

            Thread.sleep(15_000);

            for (FleetNode a : healthy) {
                assertThat(a.faults().longestGap()).as("%s: longest time without a poll", a.name())
                        .isLessThan(Duration.ofMillis(1_500));
                assertThat(a.faults().answers()).as("%s: polls answered in 15 s at a 0.5 s interval", a.name())
                        .isGreaterThanOrEqualTo(10);
            }
            for (FleetNode a : slow) {
                assertThat(a.faults().answers()).as("%s answered, each after 1.5 s", a.name()).isBetween(2L, 9L);
            }
            for (FleetNode a : silent) {
                assertThat(a.faults().answers()).as("%s stayed silent", a.name()).isZero();
                assertThat(fleet.api.get(NodeCommand.path(a.name())).path("unreachable").asBoolean())
                        .as("%s: its polls timed out three times and it is flagged unreachable", a.name()).isTrue();
            }
        } finally {
            agents.forEach(FleetNode::close);
        }
    }
}
