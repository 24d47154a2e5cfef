package dev.drawbridge.agent;

import dev.drawbridge.attestation.PcrSelection;
import dev.drawbridge.attestation.Quote;
import dev.drawbridge.attestation.SoftwareTpm;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * The TPMs an agent can use: none, a software TPM for simulated nodes (same structures as a real one), or a real
 * TPM through tpm2-tools ({@link Tpm2ToolsTpm}).
 */
final class Tpms {
    static final String NONE = "none";
    static final String SOFTWARE = "software";
    static final String TPM2_TOOLS = "tpm2-tools";

    private Tpms() {}

    /** The simulated TPM, when {@code kind} is {@code software}; checks that {@code kind} is one we know. */
    static Optional<SoftwareTpm> create(String kind) {
        return switch (kind) {
            case NONE, TPM2_TOOLS -> Optional.empty();
            case SOFTWARE -> Optional.of(SoftwareTpm.create());
            default -> throw new AgentException("--tpm must be none, software or tpm2-tools, not '" + kind + "'");
        };
    }

    /**
     * The agent's TPM for {@code config}: the simulated one from {@link #create}, or a {@link Tpm2ToolsTpm} on
     * {@code config.tcti()}, which touches the TPM only on first use.
     */
    static Optional<Tpm> forConfig(AgentConfig config, Optional<SoftwareTpm> software) {
        if (config.tpm().equals(TPM2_TOOLS)) {
            return Optional.of(new Tpm2ToolsTpm(config.tcti(), config.dataDir()));
        }
        return software.map(Tpms::software);
    }

    static Tpm software(SoftwareTpm tpm) {
        Base64.Encoder b64 = Base64.getEncoder();
        return new Tpm() {
            @Override
            public Map<String, Object> akInfo() {
                return Map.of("ak_public", b64.encodeToString(tpm.akPublic()), "ak_qualified_name",
                        b64.encodeToString(tpm.attestationKey().qualifiedName().orElseThrow()));
            }

            @Override
            public Map<String, Object> quote(byte[] nonce, PcrSelection selection) {
                Quote q = tpm.quote(nonce, selection);
                return Map.of("attest", b64.encodeToString(q.attest()), "signature", b64.encodeToString(q.signature()),
                        "pcrs", b64.encodeToString(q.pcrs()));
            }
        };
    }

    static CommandFailed none() {
        return new CommandFailed("this agent has no TPM configured (--tpm)");
    }
}
