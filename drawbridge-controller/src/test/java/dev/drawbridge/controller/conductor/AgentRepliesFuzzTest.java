package dev.drawbridge.controller.conductor;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeState;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Agent replies are outside input to the conductor: whatever an agent answers to the hardware or proof phase, the
 * judgement is a phase outcome (often a failure naming the field), never an exception. The replies are built from
 * the fuzzer's bytes with the fields the conductor reads, each present, missing or of any type, so the fuzzer
 * spends its time in the judgement rather than in making valid JSON (the agent client has parsed the body before
 * any phase sees it). Seeds live under {@code AgentRepliesFuzzTestInputs/<method>/}; {@code scripts/fuzz} runs it
 * for a set time.
 */
class AgentRepliesFuzzTest {
    private static final Node NODE = new Node("id-1", "node-07", List.of("52:54:00:12:34:07"), Map.of(),
            Optional.empty(), Optional.of("127.0.0.1:1"), NodeState.ENROLLING, Optional.empty(), Instant.EPOCH,
            Instant.EPOCH, 1, Optional.empty(), "poll", Optional.empty(), Optional.empty(), false, Optional.empty(),
            Optional.empty());
    private static final String TICKET = "0123456789abcdef";
    private static final byte[] PIN_KEY = new byte[32];
    /** A harness whose one ticket belongs to the node, so a proof is checked rather than refused up front. */
    private static final Phases PHASES = new Phases(null, (n, t) -> t.equals(TICKET) ? Optional.of(PIN_KEY)
            : Optional.empty(), null, List.of());

    /**
     * A JSON value for {@code key}: usually of the type an agent should send (so the fuzzer gets past the first
     * check), sometimes any other type, missing fields decided by the caller.
     */
    private static JsonNode value(FuzzedDataProvider in, int depth) {
        return switch (in.consumeInt(0, depth > 2 ? 4 : 6)) {
            case 0 -> NullNode.instance;
            case 1 -> BooleanNode.valueOf(in.consumeBoolean());
            case 2 -> LongNode.valueOf(in.consumeLong());
            case 3 -> DoubleNode.valueOf(in.consumeDouble());
            case 4 -> TextNode.valueOf(in.consumeString(80));
            case 5 -> {
                ArrayNode a = JsonNodeFactory.instance.arrayNode();
                for (int i = in.consumeInt(0, 3); i > 0; i--) {
                    a.add(value(in, depth + 1));
                }
                yield a;
            }
            default -> {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                for (int i = in.consumeInt(0, 3); i > 0; i--) {
                    o.set(in.consumeString(12), value(in, depth + 1));
                }
                yield o;
            }
        };
    }

    /** An object with some of {@code fields}, each a typed guess or any value, and now and then an unknown field. */
    private static ObjectNode object(FuzzedDataProvider in, Map<String, Function<FuzzedDataProvider,
            JsonNode>> fields) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        fields.forEach((name, typed) -> {
            switch (in.consumeInt(0, 5)) {
                case 0 -> { } // missing
                case 1 -> o.set(name, value(in, 0));
                default -> o.set(name, typed.apply(in));
            }
        });
        if (in.consumeInt(0, 7) == 0) {
            o.set(in.consumeString(16), value(in, 0));
        }
        return o;
    }

    private static JsonNode text(FuzzedDataProvider in) {
        return TextNode.valueOf(in.consumeString(64));
    }

    private static JsonNode number(FuzzedDataProvider in) {
        return LongNode.valueOf(in.consumeLong());
    }

    private static JsonNode list(FuzzedDataProvider in, Function<FuzzedDataProvider, JsonNode> item) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        for (int i = in.consumeInt(0, 4); i > 0; i--) {
            a.add(item.apply(in));
        }
        return a;
    }

    private static JsonNode mac(FuzzedDataProvider in) {
        return in.consumeBoolean() ? TextNode.valueOf("52:54:00:12:34:07") : text(in);
    }

    private static PhaseOutcome judge(Job job, JsonNode reply, String fingerprint) {
        PhaseOutcome o = PHASES.succeeded(NODE, job, reply, fingerprint);
        if (o == null) {
            throw new AssertionError("no outcome");
        }
        return o;
    }

    /** A hardware report: the fields the controller reads, each present, missing, or of the wrong type. */
    @FuzzTest(maxDuration = "30s")
    void hardwareReply(FuzzedDataProvider in) {
        Map<String, Function<FuzzedDataProvider, JsonNode>> fields = new LinkedHashMap<>();
        fields.put("interfaces", i -> list(i, n -> object(n, Map.of("name", AgentRepliesFuzzTest::text,
                "mac", AgentRepliesFuzzTest::mac))));
        fields.put("system_uuid", i -> i.consumeBoolean() ? TextNode.valueOf("8d1e6c2a-3f7b-4e1c-9a55-0c2d7b1e9f10")
                : text(i));
        fields.put("serial", AgentRepliesFuzzTest::text);
        fields.put("cpus", AgentRepliesFuzzTest::number);
        fields.put("memory_bytes", AgentRepliesFuzzTest::number);
        fields.put("disks", i -> list(i, d -> object(d, Map.of("name", AgentRepliesFuzzTest::text,
                "size_bytes", AgentRepliesFuzzTest::number, "path", AgentRepliesFuzzTest::text,
                "root", x -> BooleanNode.valueOf(x.consumeBoolean())))));
        judge(Job.start(Job.Action.MANAGE, Map.of()), object(in, fields), "");
    }

    /** A ticket proof: the ticket id (the node's own one, or not) and a proof of any shape. */
    @FuzzTest(maxDuration = "30s")
    void proveReply(FuzzedDataProvider in) {
        Map<String, Function<FuzzedDataProvider, JsonNode>> fields = new LinkedHashMap<>();
        fields.put("ticket_id", i -> i.consumeBoolean() ? TextNode.valueOf(TICKET) : text(i));
        fields.put("proof", i -> TextNode.valueOf(i.consumeBoolean()
                ? Base64.getUrlEncoder().withoutPadding().encodeToString(i.consumeBytes(40))
                : i.consumeString(64)));
        Job prove = new Job(Job.Action.MANAGE, Job.Phase.PROVE, Optional.empty(),
                Map.of("nonce", "AAAAAAAAAAAAAAAAAAAAAA"));
        String fingerprint = in.consumeBoolean() ? "00" : HexFormat.of().formatHex(in.consumeBytes(32));
        judge(prove, object(in, fields), fingerprint);
    }
}
