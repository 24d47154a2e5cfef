package dev.drawbridge.protocol;

import java.util.Optional;

/**
 * The result of {@code attestation.get_ak}: the attestation key's TPM2B_PUBLIC and qualified Name (base64), and where
 * the TPM has them, its endorsement key (PEM) and EK certificate (base64 DER).
 */
public record AkResult(String akPublic, String akQualifiedName, Optional<String> ekPublic,
                       Optional<String> ekCertificate) {
    public AkResult {
        ReplyFields.required("ak_public", akPublic);
        ReplyFields.required("ak_qualified_name", akQualifiedName);
        ekPublic = ReplyFields.optional(ekPublic);
        ekCertificate = ReplyFields.optional(ekCertificate);
    }
}
