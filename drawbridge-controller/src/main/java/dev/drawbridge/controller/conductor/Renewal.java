package dev.drawbridge.controller.conductor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.conductor.AgentClient.Reply;
import dev.drawbridge.controller.conductor.AgentClient.Unreachable;
import dev.drawbridge.controller.conductor.ProvisioningStore.Work;
import dev.drawbridge.controller.enroll.EnrollmentRefused;
import dev.drawbridge.controller.enroll.EnrollmentService;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeState;
import dev.drawbridge.controller.verify.QuoteJudge;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.protocol.Commands;
import dev.drawbridge.protocol.CsrResult;
import dev.drawbridge.protocol.QuoteResult;
import dev.drawbridge.protocol.RenewalProof;
import dev.drawbridge.protocol.TicketProof;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews an enrolled node's certificate over the poll channel once two-thirds of its lifetime has passed
 * (DESIGN.md "Renewal"): the agent makes a new key and CSR and signs the conductor's nonce with the key it serves
 * now; where the node has an attestation key it also quotes over a nonce bound to the new key, and that quote must
 * pass; the CA issues the certificate from inventory; the agent installs it and serves it from its next handshake.
 * The old certificate stays valid until it expires, so no poll is missed. A failure is retried at the next poll,
 * counted on {@code /metrics} and written to the audit trail (the first of a run of failures, then every tenth).
 * A fenced node is never renewed.
 */
final class Renewal {
    private static final Logger LOG = LoggerFactory.getLogger(Renewal.class);
    private final EnrollmentService enrollment;
    private final QuoteJudge judge;
    private final ProvisioningStore store;
    private final ConductorMetrics metrics;
    private final Clock clock;
    private final Duration lifetime;
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();

    Renewal(EnrollmentService enrollment, QuoteJudge judge, ProvisioningStore store, ConductorMetrics metrics,
            Clock clock, Duration lifetime) {
        this.enrollment = enrollment;
        this.judge = judge;
        this.store = store;
        this.metrics = metrics;
        this.clock = clock;
        this.lifetime = lifetime;
    }

    /** Whether {@code serialHex} is an unrevoked node certificate issued to node {@code nodeId} (the CA's record). */
    boolean issued(String nodeId, String serialHex) {
        return enrollment.holds(nodeId, serialHex);
    }

    /** Whether a node serving {@code served} is due: less than a third of the configured lifetime is left. */
    boolean due(X509Certificate served, Instant now) {
        return !now.isBefore(served.getNotAfter().toInstant().minus(lifetime.dividedBy(3)));
    }

    /** A renewal step failed; the message names the step and the cause. */
    private static final class Failed extends Exception {
        Failed(String message) {
            super(message);
        }
    }

    /** Renews the certificate of {@code w}'s node, which answered this poll serving {@code served}. */
    void renew(Work w, AgentLink client, X509Certificate served) {
        Node node = w.node();
        if (node.state() == NodeState.FENCED) {
            return;
        }
        try {
            X509Certificate next = attempt(w, client, served);
            store.pin(node.id(), TicketProof.fingerprintHex(next));
            client.drop(node); // the next poll handshakes again and sees the new certificate
            failures.remove(node.id());
            metrics.renewed(true);
            LOG.info("renewed the certificate of {}: serial {} until {} replaces {}", node.name(),
                    next.getSerialNumber().toString(16), next.getNotAfter().toInstant(),
                    served.getSerialNumber().toString(16));
        } catch (Failed | EnrollmentRefused e) {
            metrics.renewed(false);
            int n = failures.merge(node.id(), 1, Integer::sum);
            LOG.warn("renewing the certificate of {} failed (attempt {}, it expires at {}): {}", node.name(), n,
                    served.getNotAfter().toInstant(), e.getMessage());
            if (n % 10 == 1) {
                enrollment.renewalFailed(node, e.getMessage() + " (attempt " + n + "; the certificate expires at "
                        + served.getNotAfter().toInstant() + ")");
            }
        }
    }

    private X509Certificate attempt(Work w, AgentLink client, X509Certificate served) throws Failed {
        Node node = w.node();
        byte[] nonce = judge.nonce();
        JsonNode csrResult = run(client, node, Commands.IDENTITY_CREATE_CSR,
                Map.of("nonce", Base64.getUrlEncoder().withoutPadding().encodeToString(nonce)));
        CsrResult made;
        try {
            made = Wire.JSON.treeToValue(csrResult, CsrResult.class);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new Failed("the agent's renewal CSR result does not fit (a 'csr' string, with 'possession' and"
                    + " 'serial')");
        }
        String csr = made.csr();
        byte[] csrDer;
        byte[] newKey;
        try {
            csrDer = Pem.der(csr, "CERTIFICATE REQUEST");
            newKey = new PKCS10CertificationRequest(csrDer).getSubjectPublicKeyInfo().getEncoded();
        } catch (RuntimeException | IOException e) {
            throw new Failed("the agent's renewal CSR does not parse");
        }
        String servedSerial = served.getSerialNumber().toString(16);
        byte[] possession;
        try {
            possession = Base64.getUrlDecoder().decode(made.possession().orElse(""));
        } catch (IllegalArgumentException e) {
            possession = new byte[0];
        }
        if (!servedSerial.equals(made.serial().orElse(""))
                || !RenewalProof.verify(served.getPublicKey(), RenewalProof.message(nonce, csrDer), possession)) {
            throw new Failed("the agent did not prove possession of the key of certificate " + servedSerial);
        }
        if (w.attestation().isPresent()) {
            byte[] akNonce = RenewalProof.akNonce(nonce, newKey);
            JsonNode quote = run(client, node, Commands.ATTESTATION_QUOTE, QuoteJudge.request(akNonce));
            var info = w.attestation().get();
            QuoteJudge.Judgement v = QuoteResult.from(quote)
                    .map(q -> judge.judge(node.id(), q, info.key(), akNonce, info.reference()))
                    .orElseGet(QuoteJudge::noQuote);
            if (!v.trusted()) {
                throw new Failed("the quote over the new key did not verify: " + String.join("; ", v.reasons()));
            }
        }
        var granted = enrollment.renew(node.id(), servedSerial, csr);
        run(client, node, Commands.IDENTITY_INSTALL_CERTIFICATE, Map.of("certificate", granted.certificate().pem(),
                "chain", List.of(granted.chain().getFirst())));
        return granted.certificate().certificate();
    }

    /** Runs one command on the node's agent over mTLS and returns its result; any failure is a {@link Failed}. */
    private static JsonNode run(AgentLink client, Node node, String command, Map<String, Object> params)
            throws Failed {
        try {
            Reply r = client.post(node, "/v1/commands", Map.of("name", command, "params", params), true,
                    Attestation.wait(client));
            if (!r.ok()) {
                throw new Failed(command + ": the agent answered HTTP " + r.status() + " "
                        + r.body().path("detail").asText(""));
            }
            JsonNode result = Attestation.finished(r.body()).orElse(null);
            if (result == null) {
                result = Attestation.await(node, client, r.body().path("id").asText());
            }
            if (result == null) {
                throw new Failed(command + ": the agent did not finish in time");
            }
            if (result.has("error")) {
                throw new Failed(command + " failed on the agent: " + result.path("error").asText());
            }
            return result;
        } catch (Unreachable e) {
            throw new Failed(command + ": " + e.getMessage());
        }
    }
}
