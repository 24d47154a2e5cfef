package dev.drawbridge.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * The result of {@code attestation.quote}: TPMS_ATTEST, TPMT_SIGNATURE and the tpm2-tools PCR file, each base64
 * (standard alphabet). Built by the agent, parsed by the controller at the edge.
 */
public record QuoteResult(String attest, String signature, String pcrs) {
    /** The quote in an agent's reply, or empty when a field is missing or not a string. */
    public static Optional<QuoteResult> from(JsonNode result) {
        JsonNode a = result.path("attest");
        JsonNode s = result.path("signature");
        JsonNode p = result.path("pcrs");
        if (!a.isTextual() || !s.isTextual() || !p.isTextual()) {
            return Optional.empty();
        }
        return Optional.of(new QuoteResult(a.asText(), s.asText(), p.asText()));
    }
}
