package dev.drawbridge.agent;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The bootstrap payload is the agent's first outside input: it is either verified or refused with an
 * {@link AgentException} that names why, never another exception. Seeds live under
 * {@code PayloadFuzzTestInputs/<method>/}; {@code scripts/fuzz} runs it for a set time.
 */
class PayloadFuzzTest {
    @FuzzTest(maxDuration = "30s")
    void bootstrapPayload(byte[] data) {
        try {
            Payloads.parse(new String(data, StandardCharsets.ISO_8859_1), Path.of("fuzz.jws"));
        } catch (AgentException expected) {
            // a named refusal
        }
    }

    @FuzzTest(maxDuration = "30s")
    void commandParams(byte[] data) {
        // The command parser takes the controller's JSON: it parses or answers a 400 problem.
        try {
            var tree = Wire.JSON.readTree(data);
            if (tree == null || !tree.isObject()) {
                return;
            }
            CommandParser.parse(tree.path("name").asText(""), tree.has("params") ? tree.get("params")
                    : Wire.JSON.createObjectNode());
        } catch (IOException | ApiProblem expected) {
            // not JSON, or a named 400
        }
    }
}
