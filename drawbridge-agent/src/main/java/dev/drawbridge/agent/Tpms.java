package dev.drawbridge.agent;

import dev.drawbridge.attestation.PcrSelection;
import dev.drawbridge.attestation.Quote;
import dev.drawbridge.attestation.SoftwareTpm;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/** The TPMs an agent can use: none, or a software TPM for simulated nodes (same structures as a real one). */
final class Tpms {
    private Tpms() {}

    static Optional<SoftwareTpm> create(String kind) {
        return switch (kind) {
            case "none" -> Optional.empty();
            case "software" -> Optional.of(SoftwareTpm.create());
            default -> throw new AgentException("--tpm must be none or software, not '" + kind + "'");
        };
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
