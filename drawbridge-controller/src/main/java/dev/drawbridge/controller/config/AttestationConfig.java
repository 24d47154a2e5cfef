package dev.drawbridge.controller.config;

/**
 * Attestation. {@code ek-ca-file} is a PEM bundle of TPM manufacturer root and intermediate certificates;
 * when set, an EK certificate an agent presents at enrollment must chain to one of the roots and certify
 * the EK the TPM reports, or {@code manage} fails. Empty (the default) leaves EK certificates unchecked.
 */
public record AttestationConfig(String ekCaFile) {
    public static AttestationConfig defaults() {
        return new AttestationConfig("");
    }
}
