package dev.drawbridge.protocol;

import java.util.Optional;

/**
 * The result of {@code identity.create_csr}: the CSR (PEM); for a renewal also the proof of possession of the current
 * key (base64url, {@link RenewalProof}) and the serial (hex) of the certificate it is served with.
 */
public record CsrResult(String csr, Optional<String> possession, Optional<String> serial) {
    public CsrResult {
        ReplyFields.required("csr", csr);
        possession = ReplyFields.optional(possession);
        serial = ReplyFields.optional(serial);
    }
}
