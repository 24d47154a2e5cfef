package dev.drawbridge.controller.conductor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.conductor.AgentClient.Reply;
import dev.drawbridge.controller.conductor.AgentClient.Unreachable;
import dev.drawbridge.controller.conductor.ProvisioningStore.Work;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeState;
import dev.drawbridge.controller.verify.QuoteJudge;
import dev.drawbridge.controller.verify.Trust;
import dev.drawbridge.controller.verify.Verdicts;
import dev.drawbridge.protocol.CommandStatus;
import dev.drawbridge.protocol.Commands;
import dev.drawbridge.protocol.QuoteResult;
import dev.drawbridge.protocol.Wire;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Attests a settled node at every poll with a fresh nonce: asks its agent for a quote, judges it, writes
 * the verdict, and fences the node when the quote fails. A PCR digest mismatch is retried once with a new
 * quote first, because the PCRs can change between TPM2_Quote and the PCR read (a race, not tampering).
 */
final class Attestation {
    private static final Logger LOG = LoggerFactory.getLogger(Attestation.class);

    /** Starts a fence; the fence service is idempotent for a node already being fenced. */
    interface Fencer {
        void fence(String nodeId, String reason);
    }

    private final QuoteJudge judge;
    private final Verdicts verdicts;
    private final Fencer fencer;
    private final ConductorMetrics metrics;

    Attestation(QuoteJudge judge, Verdicts verdicts, Fencer fencer, ConductorMetrics metrics) {
        this.metrics = metrics;
        this.judge = judge;
        this.verdicts = verdicts;
        this.fencer = fencer;
    }

    /** Checks the first answer of a poll; false stops the poll (the node was distrusted for another reason). */
    interface Answered {
        boolean check(Reply reply) throws Unreachable;
    }

    /**
     * Asks for a quote over a fresh nonce, waiting for it in the same request when the agent can, and judges it.
     * {@code answered} sees the first reply before anything else is done with it; {@code belongs} checks every
     * reply came from the node's own identity. True when the quote was judged trusted.
     */
    boolean attest(Work w, AgentLink client, Answered answered,
                   BiPredicate<Work, Reply> belongs) throws Unreachable {
        var info = w.attestation().orElseThrow();
        for (int attempt = 0; attempt < 2; attempt++) {
            byte[] nonce = judge.nonce();
            Reply post = client.post(w.node(), "/v1/commands", Map.of("name", Commands.ATTESTATION_QUOTE, "params",
                    QuoteJudge.request(nonce)), true, wait(client));
            if (attempt == 0 && !answered.check(post)) {
                return false;
            }
            if (post.status() == 409 || !post.ok() || !belongs.test(w, post)) {
                return false;
            }
            JsonNode result = finished(post.body()).orElse(null);
            if (result == null) {
                result = await(w.node(), client, post.body().path("id").asText());
            }
            if (result == null) {
                return false;
            }
            QuoteJudge.Judgement v = result.has("error") ? QuoteJudge.agentError(result.path("error").asText())
                    : QuoteResult.from(result)
                    .map(q -> judge.judge(w.node().id(), q, info.key(), nonce, info.reference()))
                    .orElseGet(QuoteJudge::noQuote);
            if (v.race() && attempt == 0) {
                continue;
            }
            if (w.node().state() == NodeState.FENCED) {
                // Readmission looks for a verdict made after the fence: a fenced node's verdicts are all kept.
                metrics.wrote("verdict");
                verdicts.record(w.node().id(), w.node().name(), v, HexFormat.of().formatHex(nonce));
            } else {
                if (verdicts.recordRoutine(w.node().id(), w.node().name(), v, HexFormat.of().formatHex(nonce))) {
                    metrics.wrote("verdict");
                }
            }
            if (!v.trusted() && w.node().state() != NodeState.FENCED) {
                LOG.warn("node {} failed attestation: {}", w.node().name(), v.reasons());
                fencer.fence(w.node().id(), "attestation failed: " + String.join("; ", v.reasons()));
            }
            return v.trusted();
        }
        return false;
    }

    /** Records an untrusted verdict for a reason outside the TPM and fences the node. */
    void distrust(Work w, String reason) {
        metrics.wrote("verdict");
        verdicts.record(w.node().id(), w.node().name(), Trust.UNTRUSTED,
                List.of(reason), "");
        LOG.warn("node {} is untrusted: {}", w.node().name(), reason);
        fencer.fence(w.node().id(), reason);
    }

    /** How long the agent may hold a quote request: half the request timeout, at least a second. */
    static Duration wait(AgentLink client) {
        Duration half = client.timeout().dividedBy(2);
        return half.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : half;
    }

    /** The result of a command status that is already final, as {@link #await} gives it. */
    static Optional<JsonNode> finished(JsonNode status) {
        return switch (CommandStatus.Status.parse(status.path("status").asText()).orElse(CommandStatus.Status.RUNNING)) {
            case SUCCEEDED -> Optional.of(status.path("result"));
            case FAILED -> Optional.of(Wire.JSON.createObjectNode()
                    .put("error", status.path("error").asText()));
            case RUNNING -> Optional.empty();
        };
    }

    /** The finished command's result, or a node with {@code error} when it failed; null if it did not finish soon. */
    static JsonNode await(Node node, AgentLink client, String id)
            throws Unreachable {
        for (int i = 0; i < 100; i++) {
            Reply r = client.get(node, "/v1/commands/" + id, true);
            Optional<JsonNode> done = finished(r.body());
            if (done.isPresent()) {
                return done.get();
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }
}
