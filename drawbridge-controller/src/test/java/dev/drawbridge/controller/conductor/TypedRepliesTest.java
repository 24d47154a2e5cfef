package dev.drawbridge.controller.conductor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeState;
import dev.drawbridge.controller.verify.QuoteJudge;
import dev.drawbridge.protocol.Wire;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Agent results are parsed once, at the edge, into the protocol's records: a missing or mistyped field fails the
 * phase with a reason naming the node, the phase and the field, never a NullPointerException or a silent empty value.
 */
class TypedRepliesTest {
    private static final Node NODE = new Node("id-1", "node-07", List.of("52:54:00:12:34:07"), Map.of(),
            Optional.empty(), Optional.of("127.0.0.1:1"), NodeState.ENROLLING, Optional.empty(), Instant.EPOCH,
            Instant.EPOCH, 1, Optional.empty(), "poll", Optional.empty(), Optional.empty(), false, Optional.empty(),
            Optional.empty());
    private final Phases phases = new Phases(null, (n, t) -> Optional.empty(), new QuoteJudge(), List.of());

    private PhaseOutcome judge(Job.Phase phase, String json) throws Exception {
        Job job = new Job(Job.Action.MANAGE, phase, Optional.empty(), Map.of("nonce", "AAAAAAAAAAAAAAAAAAAAAA",
                "credential_secret", "AAAA", "ticket_id", "t"));
        return phases.succeeded(NODE, job, Wire.JSON.readTree(json), "00");
    }

    private static String reason(PhaseOutcome o) {
        assertThat(o).isInstanceOf(PhaseOutcome.Failed.class);
        return ((PhaseOutcome.Failed) o).reason();
    }

    @Test
    @DisplayName("a missing or mistyped field names the node, the phase and the field")
    void missingAndMistypedFields() throws Exception {
        assertThat(reason(judge(Job.Phase.AK, "{\"ak_qualified_name\":\"AAAA\"}")))
                .contains("node-07").contains("ak result").contains("'ak_public' is missing");
        assertThat(reason(judge(Job.Phase.AK, "{\"ak_public\":{\"x\":1},\"ak_qualified_name\":\"AAAA\"}")))
                .contains("'ak_public' has the wrong type");
        assertThat(reason(judge(Job.Phase.PROVE, "{\"ticket_id\":\"t\"}"))).contains("prove result")
                .contains("'proof' is missing");
        assertThat(reason(judge(Job.Phase.CREDENTIAL, "{}"))).contains("'secret' is missing");
        assertThat(reason(judge(Job.Phase.CSR, "{\"csr\":\"  \"}"))).contains("csr result").contains("'csr' is missing");
        assertThat(reason(judge(Job.Phase.CSR, "[1,2]"))).contains("does not fit");
    }

    @Test
    @DisplayName("a well-formed AK result moves on and keeps the key; an unknown extra field is ignored")
    void wellFormed() throws Exception {
        PhaseOutcome o = judge(Job.Phase.AK, "{\"ak_public\":\"QUs=\",\"ak_qualified_name\":\"UU4=\",\"later\":true}");
        assertThat(o).isInstanceOf(PhaseOutcome.Advanced.class);
        Job next = ((PhaseOutcome.Advanced) o).job();
        assertThat(next.phase()).isEqualTo(Job.Phase.CREDENTIAL);
        assertThat(next.params()).containsEntry("ak_public", "QUs=").containsEntry("ak_qn", "UU4=")
                .doesNotContainKey("ek_public");
    }
}
