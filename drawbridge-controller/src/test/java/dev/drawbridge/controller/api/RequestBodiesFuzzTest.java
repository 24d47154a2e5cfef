package dev.drawbridge.controller.api;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * JSON request bodies are parsed into typed values or refused with a 4xx {@link ApiException}: node create and
 * patch bodies, whatever bytes arrive. Seeds live under {@code RequestBodiesFuzzTestInputs/<method>/}.
 */
class RequestBodiesFuzzTest {
    private static void parsesOrRefuses(byte[] data, Consumer<JsonNode> parse) {
        JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(data);
        } catch (IOException e) {
            return; // Json.body answers 400 for a body that is not JSON
        }
        if (tree == null || !tree.isObject()) {
            return; // Json.body answers 400 for a body that is not an object
        }
        try {
            parse.accept(tree);
        } catch (ApiException e) {
            if (e.status() / 100 != 4) {
                throw new AssertionError("a body was refused with " + e.status());
            }
        }
    }

    @FuzzTest(maxDuration = "30s")
    void nodeCreate(byte[] data) {
        parsesOrRefuses(data, NodeInput::create);
    }

    @FuzzTest(maxDuration = "30s")
    void nodePatch(byte[] data) {
        parsesOrRefuses(data, NodeInput::patch);
    }
}
