package dev.drawbridge.controller.conductor;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeState;
import dev.drawbridge.protocol.Wire;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Agent replies are outside input to the conductor: whatever an agent answers to the hardware phase, the judgement
 * is a phase outcome (often a failure naming the field), never an exception. Seeds live under
 * {@code AgentRepliesFuzzTestInputs/<method>/}; {@code scripts/fuzz} runs it for a set time.
 */
class AgentRepliesFuzzTest {
    private static final Node NODE = new Node("id-1", "node-07", List.of("52:54:00:12:34:07"), Map.of(),
            Optional.empty(), Optional.of("127.0.0.1:1"), NodeState.ENROLLING, Optional.empty(), Instant.EPOCH,
            Instant.EPOCH, 1, Optional.empty(), "poll", Optional.empty(), Optional.empty(), false, Optional.empty(),
            Optional.empty());
    private static final Phases PHASES = new Phases(null, (n, t) -> Optional.empty(), null, List.of());

    @FuzzTest(maxDuration = "30s")
    void hardwareReply(byte[] data) {
        com.fasterxml.jackson.databind.JsonNode tree;
        try {
            tree = Wire.JSON.readTree(data);
        } catch (java.io.IOException e) {
            return; // AgentClient turns a body that is not JSON into a problem before any phase sees it
        }
        if (tree == null) {
            return;
        }
        PhaseOutcome o = PHASES.succeeded(NODE, Job.start("manage", Map.of()), tree, "");
        if (o == null) {
            throw new AssertionError("no outcome");
        }
    }

    @FuzzTest(maxDuration = "30s")
    void proveReply(byte[] data) {
        com.fasterxml.jackson.databind.JsonNode tree;
        try {
            tree = Wire.JSON.readTree(data);
        } catch (java.io.IOException e) {
            return;
        }
        if (tree == null) {
            return;
        }
        Job prove = new Job("manage", "prove", Optional.empty(), Map.of("nonce", "AAAAAAAAAAAAAAAAAAAAAA"));
        PhaseOutcome o = PHASES.succeeded(NODE, prove, tree, "00");
        if (o == null) {
            throw new AssertionError("no outcome");
        }
    }
}
