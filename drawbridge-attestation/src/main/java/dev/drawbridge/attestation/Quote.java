package dev.drawbridge.attestation;

/**
 * The three files of {@code tpm2_quote -m -s -o}: the TPMS_ATTEST the AK signed, the
 * TPMT_SIGNATURE, and the serialized PCR values. Unparsed: the verifier parses them.
 */
public record Quote(byte[] attest, byte[] signature, byte[] pcrs) {}
