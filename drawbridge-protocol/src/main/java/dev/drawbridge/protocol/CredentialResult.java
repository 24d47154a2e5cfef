package dev.drawbridge.protocol;

/** The result of {@code attestation.activate_credential}: the secret the TPM recovered (base64). */
public record CredentialResult(String secret) {
    public CredentialResult {
        ReplyFields.required("secret", secret);
    }
}
