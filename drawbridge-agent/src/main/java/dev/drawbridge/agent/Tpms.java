package dev.drawbridge.agent;

import dev.drawbridge.protocol.AkResult;
import dev.drawbridge.protocol.CredentialResult;
import dev.drawbridge.protocol.QuoteResult;
import dev.drawbridge.attestation.PcrSelection;
import dev.drawbridge.attestation.Quote;
import dev.drawbridge.attestation.SoftwareTpm;
import java.util.Base64;
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
     * The agent's TPM for {@code config} when it is not the simulated one from {@link #create}: a {@link Tpm2ToolsTpm}
     * on {@code config.tcti()}, which touches the TPM only on first use, or {@link #absent()}.
     */
    static Tpm forConfig(AgentConfig config) {
        return config.tpm().equals(TPM2_TOOLS) ? new Tpm2ToolsTpm(config.tcti(), config.dataDir()) : absent();
    }

    /** No TPM: every TPM command fails saying none is configured. */
    static Tpm absent() {
        return new Tpm() {
            @Override
            public AkResult akInfo() {
                throw none();
            }

            @Override
            public QuoteResult quote(byte[] nonce, PcrSelection selection) {
                throw none();
            }

            @Override
            public CredentialResult activateCredential(byte[] credentialFile) {
                throw none();
            }
        };
    }

    static Tpm software(SoftwareTpm tpm) {
        Base64.Encoder b64 = Base64.getEncoder();
        return new Tpm() {
            @Override
            public AkResult akInfo() {
                return new AkResult(b64.encodeToString(tpm.akPublic()),
                        b64.encodeToString(tpm.attestationKey().qualifiedName().orElseThrow()), Optional.empty(),
                        Optional.empty());
            }

            @Override
            public QuoteResult quote(byte[] nonce, PcrSelection selection) {
                Quote q = tpm.quote(nonce, selection);
                return new QuoteResult(b64.encodeToString(q.attest()), b64.encodeToString(q.signature()),
                        b64.encodeToString(q.pcrs()));
            }
        };
    }

    static CommandFailed none() {
        return new CommandFailed("this agent has no TPM configured (--tpm)");
    }
}
