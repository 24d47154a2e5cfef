package dev.drawbridge.controller.conductor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.conductor.AgentClient.Reply;
import dev.drawbridge.controller.conductor.AgentClient.Unreachable;
import dev.drawbridge.controller.conductor.ProvisioningStore.Work;
import dev.drawbridge.controller.inventory.Lifecycle;
import dev.drawbridge.controller.inventory.Move;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeState;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.protocol.CommandStatus;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One step of a node: sends the phase's command, or reads how the command in flight is doing, and
 * records the outcome. A command id is saved before the next step uses it, so a restarted controller
 * picks up the same command; a command the agent lost is sent again (every command is idempotent).
 */
final class NodeDriver {
    private static final Logger LOG = LoggerFactory.getLogger(NodeDriver.class);
    private final AgentLink client;
    private final Phases phases;
    private final ProvisioningStore store;
    private final Sightings sightings;
    private final RevokedSerials revoked;
    private final Clock clock;
    private final Attestation attestation;
    private final Renewal renewal;

    NodeDriver(AgentLink client, Phases phases, ProvisioningStore store, Sightings sightings, RevokedSerials revoked,
               Clock clock, Attestation attestation, Renewal renewal) {
        this.sightings = sightings;
        this.revoked = revoked;
        this.renewal = renewal;
        this.client = client;
        this.phases = phases;
        this.store = store;
        this.clock = clock;
        this.attestation = attestation;
    }

    /**
     * A settled node's poll. With an attestation key it is one request: the quote command, answered when done
     * ({@code Prefer: wait}); its reply also proves the agent alive and shows the certificate it serves. Without
     * one it is a status read.
     */
    void liveness(Work w) throws Unreachable {
        var first = new AtomicReference<Reply>();
        boolean good;
        if (w.attestation().isPresent()) {
            good = attestation.attest(w, client, r -> {
                first.set(r);
                return alive(w, r);
            }, this::belongs);
        } else {
            Reply r = client.get(w.node(), "/v1/status", true);
            first.set(r);
            good = alive(w, r);
        }
        // Only a node that answered as itself and passed its quote (where it has a TPM) is renewed.
        Optional<X509Certificate> served = Optional.ofNullable(first.get()).flatMap(Reply::peer);
        if (good && w.node().state() != NodeState.FENCED && served.isPresent()
                && renewal.due(served.get(), clock.instant())) {
            renewal.renew(w, client, served.get());
        }
    }

    /**
     * Checks a poll's answer came from this node's agent and records the sighting; false when the node is
     * distrusted because its certificate is revoked. A 409 (busy with a command) is an answer too.
     */
    private boolean alive(Work w, Reply r) throws Unreachable {
        if (!(r.ok() || r.status() == 409) || !belongs(w, r)) {
            throw new Unreachable("agent answered " + r.status() + " to a poll");
        }
        sightings.later(w.node(), clock.instant());
        String serial = r.peer().map(c -> c.getSerialNumber().toString(16)).orElse("");
        if (w.node().state() != NodeState.FENCED && revoked.contains(serial)) {
            // A revoked identity is a compromise signal: the node is untrusted whatever its TPM says.
            attestation.distrust(w, "its certificate " + serial + " is revoked");
            client.drop(w.node()); // no further answer over a session of a revoked certificate
            return false;
        }
        return true;
    }

    void drive(Work w) throws Unreachable {
        Node node = w.node();
        if (w.job().isEmpty()) {
            finish(node, new PhaseOutcome.Failed("the node is " + node.state().wire() + " but no job is recorded"));
            return;
        }
        Job job = w.job().get();
        boolean enrolled = node.state() != NodeState.ENROLLING || job.phase() == Job.Phase.VERIFY
                || job.action() == Job.Action.REISSUE;
        if (job.phase() == Job.Phase.VERIFY) {
            // A kept connection may still carry the agent's previous certificate (revoked, after a readmission):
            // handshake again so the check, and the key pinned from it, are of the certificate just installed.
            client.drop(node);
            Reply status = client.get(node, "/v1/status", true);
            sightings.seen(node.id(), clock.instant());
            PhaseOutcome o = job.params().containsKey("certificate") && !servesIssued(job, status)
                    ? new PhaseOutcome.Wait() : phases.verifyEnrolled(node, status);
            if (o instanceof PhaseOutcome.Done) {
                store.pin(node.id(), status.fingerprint());
                store.saveAttestationKey(node.id(), job);
            }
            finish(node, o);
            return;
        }
        Optional<PhaseOutcome> skipped = job.commandId().isEmpty() ? phases.skip(job) : Optional.empty();
        if (skipped.isPresent()) {
            finish(node, skipped.get());
            return;
        }
        finish(node, job.commandId().isEmpty() ? submit(w, job, enrolled) : follow(w, job, enrolled));
    }

    private PhaseOutcome submit(Work w, Job job, boolean enrolled) throws Unreachable {
        Node node = w.node();
        Phases.Request req = phases.request(node, job);
        Reply r = client.post(node, "/v1/commands", Map.of("name", req.command(), "params", req.params()), enrolled);
        if (job.phase() == Job.Phase.INSTALL && servesIssued(job, r)) {
            // Installed already: an earlier submit reached the agent but its answer did not reach us (a timeout
            // under load). The agent now serves exactly the certificate we issued it, so the phase is done.
            return job.nextPhase().<PhaseOutcome>map(PhaseOutcome.Advanced::new).orElse(new PhaseOutcome.Done());
        }
        Optional<PhaseOutcome> wrongKey = checkKey(w, req.job(), r, enrolled);
        if (wrongKey.isPresent()) {
            return wrongKey.get();
        }
        if (r.ok()) {
            return new PhaseOutcome.Advanced(req.job().withCommand(r.body().path("id").asText()));
        }
        if (r.status() == 409) {
            // Busy: after a restart this may be our own command, sent before its id was saved.
            JsonNode current = client.get(node, "/v1/status", enrolled).body().path("current");
            if (current.path("name").asText().equals(req.command())) {
                return new PhaseOutcome.Advanced(req.job().withCommand(current.path("id").asText()));
            }
            return new PhaseOutcome.Wait();
        }
        return new PhaseOutcome.Failed("the agent refused " + req.command() + ": " + r.body().path("detail").asText(
                "HTTP " + r.status()));
    }

    private PhaseOutcome follow(Work w, Job job, boolean enrolled) throws Unreachable {
        Node node = w.node();
        Reply r = client.get(node, "/v1/commands/" + job.commandId().get(), enrolled);
        if (r.status() == 403 && job.phase() == Job.Phase.INSTALL) {
            // The agent switched to its new certificate and now wants our client certificate.
            return job.nextPhase().<PhaseOutcome>map(PhaseOutcome.Advanced::new).orElse(new PhaseOutcome.Done());
        }
        Optional<PhaseOutcome> wrongKey = checkKey(w, job, r, enrolled);
        if (wrongKey.isPresent()) {
            return wrongKey.get();
        }
        if (r.status() == 404) {
            return new PhaseOutcome.Advanced(job.retry());
        }
        if (!r.ok()) {
            throw new Unreachable("agent answered " + r.status() + " for command " + job.commandId().get());
        }
        JsonNode c = r.body();
        if (c.hasNonNull("progress")) {
            sightings.seen(node.id(), clock.instant(), c.get("progress").toString());
        } else {
            sightings.seen(node.id(), clock.instant());
        }
        String named = c.path("status").asText("");
        Optional<CommandStatus.Status> status = CommandStatus.Status.parse(named);
        if (status.isEmpty()) {
            return new PhaseOutcome.Failed("the agent of node " + node.name() + " reported an unknown status '"
                    + abbreviate(named) + "' for command " + job.commandId().orElse("?") + " (" + job.phase()
                    + "); one of " + List.of(CommandStatus.Status.values()));
        }
        return switch (status.get()) {
            case RUNNING -> new PhaseOutcome.Wait();
            case FAILED -> phases.failed(job, c.path("error").asText("no reason given"));
            case SUCCEEDED -> reuseIdentity(w, job, r, phases.succeeded(node, job, c.path("result"), r.fingerprint()));
        };
    }

    /**
     * Recovering a node from {@code error} with {@code manage}: when the agent already serves an unexpired, unrevoked
     * certificate issued to this node (it was enrolled before the failure), that identity is kept. The hardware is
     * checked again and the TPM is read again, but the ticket proof, CSR and install are skipped: the ticket in the
     * agent's payload was used by that enrollment.
     */
    private PhaseOutcome reuseIdentity(Work w, Job job, Reply r, PhaseOutcome judged) {
        if (job.action() != Job.Action.MANAGE || job.phase() != Job.Phase.HARDWARE
                || !(judged instanceof PhaseOutcome.Advanced a) || r.peer().isEmpty()) {
            return judged;
        }
        X509Certificate c = r.peer().get();
        String serial = c.getSerialNumber().toString(16);
        boolean reusable = Profile.of(c).filter(Profile.NODE::equals).isPresent()
                && c.getSubjectX500Principal().getName().equals("CN=" + w.node().name())
                && c.getNotAfter().toInstant().isAfter(clock.instant()) // renewed at the next poll when due
                && !revoked.contains(serial) && renewal.issued(w.node().id(), serial);
        if (!reusable) {
            return judged;
        }
        LOG.info("node {} keeps its identity (certificate {}) while it is managed again", w.node().name(), serial);
        return new PhaseOutcome.Advanced(a.job().with("reuse_identity", serial).with("pinned", r.fingerprint()));
    }

    private static String abbreviate(String fingerprint) {
        return fingerprint.length() > 16 ? fingerprint.substring(0, 16) + "…" : fingerprint.isEmpty() ? "none" : fingerprint;
    }

    /** Whether the agent served the very certificate this job issued to it. */
    private static boolean servesIssued(Job job, Reply r) {
        String issued = job.params().get("certificate");
        return issued != null && r.peer().map(c -> {
            try {
                return Arrays.equals(c.getEncoded(), Pem.certificate(issued).getEncoded());
            } catch (CertificateEncodingException | RuntimeException e) {
                return false;
            }
        }).orElse(false);
    }

    /** Before enrollment every answer after the proof must come from the pinned key; after it, from this node. */
    private Optional<PhaseOutcome> checkKey(Work w, Job job, Reply r, boolean enrolled) {
        Node node = w.node();
        if (enrolled) {
            return belongs(w, r) || r.status() == 403 ? Optional.empty()
                    : Optional.of(new PhaseOutcome.Failed("the agent at " + node.agentAddress().orElse("?")
                    + " serves a certificate that is not " + node.name() + "'s"));
        }
        String pinned = job.params().get("pinned");
        if (pinned != null && !pinned.equals(r.fingerprint())) {
            return Optional.of(new PhaseOutcome.Failed("the agent's TLS key changed after it was pinned (phase "
                    + job.phase() + ", HTTP " + r.status() + ": pinned " + abbreviate(pinned) + ", served "
                    + abbreviate(r.fingerprint()) + ")"));
        }
        return Optional.empty();
    }

    /**
     * Whether an answer came from this node's enrolled identity: a node-profile certificate of our CA (the TLS layer
     * checked the chain) naming the node, whose key is the one pinned at enrollment or at the last renewal. The CN
     * alone proves nothing: a console certificate could carry any name. A key that is not the pinned one is
     * accepted only when the store records its certificate as issued to this node and not revoked (an install
     * whose answer was lost, or a schedule read from before the re-pin), and is then pinned.
     */
    boolean belongs(Work w, Reply r) {
        if (r.peer().isEmpty()) {
            return false;
        }
        X509Certificate c = r.peer().get();
        if (Profile.of(c).filter(Profile.NODE::equals).isEmpty()
                || !c.getSubjectX500Principal().getName().equals("CN=" + w.node().name())) {
            return false;
        }
        if (w.pinned().filter(r.fingerprint()::equals).isPresent()) {
            return true;
        }
        String serial = c.getSerialNumber().toString(16);
        if (revoked.contains(serial) || !renewal.issued(w.node().id(), serial)) {
            return false;
        }
        store.pin(w.node().id(), r.fingerprint());
        return true;
    }

    private void finish(Node node, PhaseOutcome o) {
        switch (o) {
            case PhaseOutcome.Wait w -> { }
            case PhaseOutcome.Advanced a -> store.saveJob(node.id(), node.state(), a.job());
            case PhaseOutcome.Done d -> store.transition(node, Move.by(Lifecycle.Event.DONE), clock.instant()).ifPresent(n -> LOG.info("node {} is now {}", n.name(),
                    n.state().wire()));
            case PhaseOutcome.Failed f -> {
                LOG.warn("node {} goes to error: {}", node.name(), f.reason());
                store.transition(node, Move.by(Lifecycle.Event.FAIL).because(f.reason()), clock.instant());
            }
        }
    }

    /** A busy node passed its deadline: it moves to error with the phase it was in. */
    void timeout(Work w, Instant now) {
        String phase = w.job().map(j -> j.action() + "/" + j.phase()).orElse("no job");
        store.transition(w.node(), Move.by(Lifecycle.Event.TIMEOUT).because("deadline passed in state "
                + w.node().state().wire() + " (" + phase + ")"), now);
        LOG.warn("node {} passed its {} deadline ({})", w.node().name(), w.node().state().wire(), phase);
    }

    /** Closes the kept-alive connections to agents. */
    void close() {
        client.close();
    }
}
