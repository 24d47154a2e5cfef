package dev.drawbridge.controller.conductor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.attestation.AttestationKey;
import dev.drawbridge.attestation.Credentials;
import dev.drawbridge.attestation.EkCertificates;
import dev.drawbridge.controller.conductor.Job.Phase;
import dev.drawbridge.controller.enroll.EnrollmentRefused;
import dev.drawbridge.controller.enroll.EnrollmentService;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.verify.QuoteJudge;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.protocol.AkResult;
import dev.drawbridge.protocol.Commands;
import dev.drawbridge.protocol.CredentialResult;
import dev.drawbridge.protocol.CsrResult;
import dev.drawbridge.protocol.HardwareInfo;
import dev.drawbridge.protocol.ProveResult;
import dev.drawbridge.protocol.QuoteResult;
import dev.drawbridge.protocol.TicketProof;
import dev.drawbridge.protocol.Wire;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What each phase asks of the agent and how its result is judged. Hardware is validated before the
 * agent is told anything; the agent's TLS key is pinned only after it proves the ticket bound to that key.
 */
final class Phases {
    private final EnrollmentService enrollment;
    private final TicketKeys ticketKeys;
    private final QuoteJudge judge;
    private final SecureRandom random = new SecureRandom();

    /** Looks up the proof key of a ticket made for a node. */
    interface TicketKeys {
        Optional<byte[]> pinKey(String nodeId, String ticketId);
    }

    private final List<X509Certificate> ekCas;

    Phases(EnrollmentService enrollment, TicketKeys ticketKeys, QuoteJudge judge,
           List<X509Certificate> ekCas) {
        this.ekCas = List.copyOf(ekCas);
        this.enrollment = enrollment;
        this.ticketKeys = ticketKeys;
        this.judge = judge;
    }

    /**
     * A phase with nothing to do for this node: the baseline quote of an agent without a TPM; the ticket proof and
     * the new certificate of an agent that keeps its enrolled identity.
     */
    Optional<PhaseOutcome> skip(Job job) {
        boolean noTpm = job.params().containsKey("no_tpm");
        if (job.params().containsKey("reuse_identity")
                && (job.phase() == Phase.PROVE || job.phase() == Phase.CSR || job.phase() == Phase.INSTALL)) {
            return Optional.of(next(job)); // the agent keeps the identity it was enrolled with (NodeDriver)
        }
        if (job.phase() == Phase.BASELINE && noTpm
                || job.phase() == Phase.CREDENTIAL && (noTpm || !job.params().containsKey("ek_public"))) {
            return Optional.of(next(job));
        }
        return Optional.empty();
    }

    /** Judges a FAILED command: an agent without a TPM may still be managed (it just never becomes trusted). */
    PhaseOutcome failed(Job job, String error) {
        if (job.phase() == Phase.AK && error.contains("no TPM")) {
            return next(job.with("no_tpm", "true"));
        }
        return new PhaseOutcome.Failed(job.phase() + " failed: " + error);
    }

    /** The command a phase sends, with its parameters; the job may gain parameters (a nonce) on the way. */
    record Request(String command, Map<String, Object> params, Job job) {}

    Request request(Node node, Job job) {
        return switch (job.phase()) {
            case HARDWARE -> new Request(Commands.HARDWARE_GET_INFO, Map.of(), job);
            case PROVE -> {
                byte[] nonce = new byte[32];
                random.nextBytes(nonce);
                String b64 = Base64.getUrlEncoder().withoutPadding().encodeToString(nonce);
                yield new Request(Commands.IDENTITY_PROVE_TICKET, Map.of("nonce", b64), job.with("nonce", b64));
            }
            case SET_INFO -> new Request(Commands.NODE_SET_INFO, Map.of("node_id", node.id(), "node_name",
                    node.name(), "labels", node.labels()), job);
            case CSR -> new Request(Commands.IDENTITY_CREATE_CSR, Map.of(), job);
            case INSTALL -> new Request(Commands.IDENTITY_INSTALL_CERTIFICATE, Map.of("certificate",
                    job.param("certificate"), "chain", List.of(job.param("root"))), job);
            case ERASE -> new Request(Commands.CLEAN_ERASE_DEVICES, Map.of("devices",
                    List.of(job.param("devices").split(","))), job);
            case WRITE -> new Request(Commands.DEPLOY_WRITE_IMAGE, Map.of("url", job.param("image_url"),
                    "sha256", job.param("image_sha256"), "target", job.param("target")), job);
            case REBOOT -> new Request(Commands.POWER_REBOOT, Map.of(), job);
            case AK -> new Request(Commands.ATTESTATION_GET_AK, Map.of(), job);
            case CREDENTIAL -> {
                // TPM2_MakeCredential for the EK and the AK's Name: only the TPM holding both can recover the secret.
                byte[] secret = new byte[32];
                random.nextBytes(secret);
                var ek = Pem.publicKey(job.param("ek_public"));
                byte[] akName = AttestationKey.fromTpm2bPublic(Base64.getDecoder()
                        .decode(job.param("ak_public"))).name().orElseThrow();
                var made = Credentials.make(ek, akName, secret);
                yield new Request(Commands.ATTESTATION_ACTIVATE_CREDENTIAL, Map.of("credential",
                        Base64.getEncoder().encodeToString(made.toTpm2ToolsFile())),
                        job.with("credential_secret", Base64.getEncoder().encodeToString(secret)));
            }
            case BASELINE -> {
                byte[] nonce = judge.nonce();
                yield new Request(Commands.ATTESTATION_QUOTE, QuoteJudge.request(nonce), job.with("nonce",
                        Base64.getUrlEncoder().withoutPadding().encodeToString(nonce)));
            }
            case VERIFY -> throw new IllegalStateException("the verify phase sends no command (NodeDriver checks the"
                    + " served certificate itself)");
        };
    }

    /**
     * Judges a SUCCEEDED command's result. {@code fingerprint} is the agent key seen on the connection that
     * carried the result. Returns the job for the next phase, or a failure reason.
     */
    PhaseOutcome succeeded(Node node, Job job, JsonNode result, String fingerprint) {
        try {
            return judgeResult(node, job, result, fingerprint);
        } catch (BadReply e) {
            return new PhaseOutcome.Failed(e.getMessage());
        }
    }

    /** A command result that does not fit its record: the message names the node, the phase and the field. */
    private static final class BadReply extends Exception {
        BadReply(String message) {
            super(message);
        }
    }

    /** The result parsed at the edge into its protocol record. */
    private static <T> T parse(Node node, Job job, JsonNode result, Class<T> type) throws BadReply {
        try {
            return Wire.JSON.treeToValue(result, type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new BadReply("the agent of node " + node.name() + " sent a " + job.phase() + " result that does not"
                    + " fit: " + why(e));
        }
    }

    /** What did not fit: the record's own check ("'x' is missing"), the field of the wrong type, or the whole. */
    private static String why(Exception e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        if (root instanceof IllegalArgumentException && root.getMessage() != null && root.getMessage().startsWith("'")) {
            return root.getMessage();
        }
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty() && m.getPath().get(0).getFieldName() != null) {
            return "'" + m.getPath().get(0).getFieldName() + "' has the wrong type";
        }
        return "it is not a JSON object";
    }

    private PhaseOutcome judgeResult(Node node, Job job, JsonNode result, String fingerprint) throws BadReply {
        return switch (job.phase()) {
            case HARDWARE -> hardware(node, job, result);
            case PROVE -> prove(node, job, result, fingerprint);
            case AK -> {
                AkResult ak = parse(node, job, result, AkResult.class);
                Job j = job.with("ak_public", ak.akPublic()).with("ak_qn", ak.akQualifiedName());
                Optional<String> ekProblem = ekCertificateProblem(ak);
                if (ekProblem.isPresent()) {
                    yield new PhaseOutcome.Failed(ekProblem.get());
                }
                yield next(ak.ekPublic().map(ek -> j.with("ek_public", ek)).orElse(j));
            }
            case CREDENTIAL -> {
                byte[] recovered;
                try {
                    recovered = Base64.getDecoder().decode(parse(node, job, result, CredentialResult.class).secret());
                } catch (IllegalArgumentException e) {
                    recovered = new byte[0];
                }
                boolean bound = Credentials.check(Base64.getDecoder().decode(job.param("credential_secret")), recovered);
                yield bound ? next(job.with("credential_secret", "").with("ak_bound", "true"))
                        : new PhaseOutcome.Failed("the attestation key is not bound to this TPM's endorsement key:"
                        + " credential activation returned the wrong secret");
            }
            case BASELINE -> {
                var key = QuoteJudge.key(job.param("ak_public"), job.param("ak_qn"));
                byte[] nonce = Base64.getUrlDecoder().decode(job.param("nonce"));
                var verdict = QuoteResult.from(result).map(q -> judge.judge(node.id(), q, key, nonce, Map.of()))
                        .orElseGet(QuoteJudge::noQuote);
                if (verdict.trusted()) {
                    try {
                        yield next(job.with("baseline", Wire.JSON.writeValueAsString(verdict.proven().orElseThrow())));
                    } catch (JsonProcessingException e) {
                        throw new IllegalStateException(e);
                    }
                }
                yield new PhaseOutcome.Failed("the baseline quote did not verify: " + verdict.reasons());
            }
            case CSR -> {
                String csr = parse(node, job, result, CsrResult.class).csr();
                try {
                    var granted = job.action() == Job.Action.REISSUE
                            ? enrollment.reissue(node.id(), csr)
                            : enrollment.enrollProven(node.id(), job.param("ticket_id"), csr);
                    yield next(job.with("certificate", granted.certificate().pem()).with("root", granted.chain().get(0)));
                } catch (EnrollmentRefused e) {
                    yield new PhaseOutcome.Failed("enrollment refused: " + e.getMessage());
                }
            }
            default -> next(job);
        };
    }

    /**
     * With manufacturer CAs configured, an EK certificate the TPM presents must chain to one of their roots,
     * be an EK certificate and certify the EK the TPM reports. Without one presented, nothing to check.
     */
    Optional<String> ekCertificateProblem(AkResult ak) {
        if (ekCas.isEmpty() || ak.ekCertificate().isEmpty()) {
            return Optional.empty();
        }
        X509Certificate cert;
        try {
            cert = Pem.certificate(Base64.getDecoder().decode(ak.ekCertificate().get()));
        } catch (RuntimeException e) {
            return Optional.of("the TPM's EK certificate does not parse");
        }
        var roots = ekCas.stream().filter(c -> c.getSubjectX500Principal().equals(c.getIssuerX500Principal())).toList();
        var intermediates = ekCas.stream().filter(c -> !roots.contains(c)).toList();
        Optional<PublicKey> ek = ak.ekPublic().map(Pem::publicKey);
        var verdict = ek.map(key -> EkCertificates.verify(cert, intermediates, roots, key))
                .orElseGet(() -> EkCertificates.verify(cert, intermediates, roots));
        return verdict instanceof EkCertificates.Invalid bad
                ? Optional.of("the TPM's EK certificate is rejected: " + bad.failure() + ": " + bad.detail())
                : Optional.empty();
    }

    /** After install: the agent must now serve our node certificate for this node over mTLS. */
    PhaseOutcome verifyEnrolled(Node node, AgentClient.Reply status) {
        if (!status.ok() || !"enrolled".equals(status.body().path("identity").asText())) {
            return new PhaseOutcome.Wait();
        }
        var cert = status.peer();
        boolean ours = cert.flatMap(Profile::of).filter(p -> p == Profile.NODE).isPresent()
                && cert.get().getSubjectX500Principal().getName().equals("CN=" + node.name());
        return ours ? new PhaseOutcome.Done() : new PhaseOutcome.Failed(
                "after enrollment the agent serves a certificate that is not this node's");
    }

    private PhaseOutcome hardware(Node node, Job job, JsonNode result) {
        HardwareInfo hw;
        try {
            hw = Wire.JSON.treeToValue(result, HardwareInfo.class);
        } catch (Exception e) {
            return new PhaseOutcome.Failed("the hardware report of " + node.name() + "'s agent is unreadable: "
                    + (e instanceof JsonProcessingException j ? j.getOriginalMessage()
                    : e.getClass().getSimpleName()));
        }
        if (hw == null) {
            return new PhaseOutcome.Failed("the hardware report of " + node.name() + "'s agent is empty");
        }
        Optional<String> missing = missingHardwareField(hw);
        if (missing.isPresent()) {
            return new PhaseOutcome.Failed("the hardware report of " + node.name() + "'s agent is incomplete: "
                    + missing.get());
        }
        List<String> reported = hw.interfaces().stream().map(n -> n.mac().toLowerCase(Locale.ROOT)).toList();
        for (String mac : node.macs()) {
            if (!reported.contains(mac)) {
                return new PhaseOutcome.Failed("hardware mismatch: expected MAC " + mac + " is not on this machine"
                        + " (it reports " + reported + ")");
            }
        }
        if (node.systemUuid().isPresent() && !node.systemUuid().get().equalsIgnoreCase(hw.systemUuid())) {
            return new PhaseOutcome.Failed("hardware mismatch: expected system UUID " + node.systemUuid().get()
                    + ", the machine reports " + hw.systemUuid());
        }
        return next(job.with("cpus", Integer.toString(hw.cpus())).with("memory_mb",
                Long.toString(hw.memoryBytes() >> 20)));
    }

    private static final Pattern MAC = Pattern.compile(
            "[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}");

    /** The first field an agent's hardware report lacks or gets wrong, named by its JSON path. */
    static Optional<String> missingHardwareField(HardwareInfo hw) {
        if (hw.systemUuid() == null || hw.systemUuid().isBlank()) {
            return Optional.of("field system_uuid is missing");
        }
        if (hw.cpus() < 0 || hw.memoryBytes() < 0) {
            return Optional.of("fields cpus and memory_bytes must not be negative");
        }
        for (int i = 0; i < hw.interfaces().size(); i++) {
            HardwareInfo.Nic nic = hw.interfaces().get(i); // never null: HardwareInfo refuses null entries
            if (nic.mac() == null || nic.mac().isBlank()) {
                return Optional.of("field interfaces[" + i + "].mac is missing");
            }
            if (!MAC.matcher(nic.mac()).matches()) {
                return Optional.of("interfaces[" + i + "].mac '" + abbreviate(nic.mac()) + "' is not a MAC address");
            }
        }
        return Optional.empty();
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    private PhaseOutcome prove(Node node, Job job, JsonNode result, String fingerprint) throws BadReply {
        ProveResult proof = parse(node, job, result, ProveResult.class);
        String ticketId = proof.ticketId();
        Optional<byte[]> key = ticketKeys.pinKey(node.id(), ticketId);
        if (key.isEmpty()) {
            return new PhaseOutcome.Failed("the agent holds no ticket made for this node (ticket id '" + ticketId
                    + "'); give it a payload from 'drawbridge node payload " + node.name() + "'");
        }
        byte[] expected = TicketProof.proof(key.get(), Base64.getUrlDecoder().decode(job.param("nonce")),
                HexFormat.of().parseHex(fingerprint));
        byte[] presented;
        try {
            presented = Base64.getUrlDecoder().decode(proof.proof());
        } catch (IllegalArgumentException e) {
            presented = new byte[0];
        }
        if (!MessageDigest.isEqual(expected, presented)) {
            return new PhaseOutcome.Failed("the agent's ticket proof does not match its TLS key: not pinned");
        }
        return next(job.with("ticket_id", ticketId).with("pinned", fingerprint));
    }

    private static PhaseOutcome next(Job job) {
        return job.nextPhase().<PhaseOutcome>map(PhaseOutcome.Advanced::new).orElse(new PhaseOutcome.Done());
    }
}
