package dev.drawbridge.controller.conductor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeState;
import dev.drawbridge.protocol.Wire;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** An agent's hardware report is checked at the edge: a missing or wrong field fails the node with its name. */
class HardwareReportTest {
    private static final Node NODE = new Node("id-1", "node-07", List.of("52:54:00:12:34:07"), Map.of(),
            Optional.empty(), Optional.of("127.0.0.1:1"), NodeState.ENROLLING, Optional.empty(), Instant.EPOCH,
            Instant.EPOCH, 1, Optional.empty(), "poll", Optional.empty(), Optional.empty(), false, Optional.empty(), Optional.empty());

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "no system_uuid|{\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"52:54:00:12:34:07\"}],\"cpus\":2}|system_uuid",
        "a NIC without mac|{\"interfaces\":[{\"name\":\"eth0\"}],\"system_uuid\":\"u\",\"cpus\":2}|interfaces[0].mac",
        "a MAC that is not one|{\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"zz\"}],\"system_uuid\":\"u\"}|is not a MAC",
        "no interfaces|{\"system_uuid\":\"u\",\"cpus\":2}|interfaces",
        "negative memory|{\"interfaces\":[],\"system_uuid\":\"u\",\"memory_bytes\":-1}|memory_bytes",
        "cpus as text|{\"interfaces\":[],\"system_uuid\":\"u\",\"cpus\":\"many\"}|unreadable",
    })
    void aBadReportFailsTheNodeNamingTheField(String why, String json, String named) throws Exception {
        Phases phases = new Phases(null, (n, t) -> Optional.empty(), null, List.of());
        Job job = Job.start(Job.Action.MANAGE, Map.of());
        PhaseOutcome o = phases.succeeded(NODE, job, Wire.JSON.readTree(json), "");
        assertThat(o).isInstanceOf(PhaseOutcome.Failed.class);
        String reason = ((PhaseOutcome.Failed) o).reason();
        assertThat(reason).as(why).contains("node-07").contains(named).doesNotContain("NullPointerException");
    }
}
