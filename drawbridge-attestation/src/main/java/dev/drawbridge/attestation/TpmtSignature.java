package dev.drawbridge.attestation;

/**
 * A TPMT_SIGNATURE (TCG TPM 2.0 Part 2, 11.3.4) as {@code tpm2_quote -s} writes it: u16 sigAlg,
 * then the TPMU_SIGNATURE member, each of which starts with its u16 hash algorithm.
 *
 * <p>Byte arrays are owned by the records; do not modify them.
 */
public sealed interface TpmtSignature {
    int TPM_ALG_RSASSA = 0x0014;
    int TPM_ALG_RSAPSS = 0x0016;
    int TPM_ALG_ECDSA = 0x0018;
    /** MAX_RSA_KEY_BYTES for a 4096-bit key, the maximum of TPM2B_PUBLIC_KEY_RSA. */
    int MAX_RSA_BYTES = 512;
    /** MAX_ECC_KEY_BYTES (P-521), the maximum of TPM2B_ECC_PARAMETER. */
    int MAX_ECC_BYTES = 66;

    HashAlg hash();

    /** TPMS_SIGNATURE_RSASSA: PKCS#1 v1.5. */
    record Rsassa(HashAlg hash, byte[] sig) implements TpmtSignature {}

    /** TPMS_SIGNATURE_RSAPSS: PSS with MGF1 over the same hash and a salt as long as the digest. */
    record Rsapss(HashAlg hash, byte[] sig) implements TpmtSignature {}

    /** TPMS_SIGNATURE_ECDSA: r and s as TPM2B_ECC_PARAMETER. */
    record Ecdsa(HashAlg hash, byte[] r, byte[] s) implements TpmtSignature {}

    /** Parses a TPMT_SIGNATURE; anything else is an {@link AttestationException}. */
    static TpmtSignature parse(byte[] data) {
        TpmReader r = TpmReader.bigEndian(data, "TPMT_SIGNATURE");
        int sigAlg = r.u16("sigAlg");
        TpmtSignature sig = switch (sigAlg) {
            case TPM_ALG_RSASSA -> new Rsassa(HashAlg.require(r.u16("signature.hash"), "TPMT_SIGNATURE signature.hash"),
                    r.tpm2b("signature.sig", MAX_RSA_BYTES));
            case TPM_ALG_RSAPSS -> new Rsapss(HashAlg.require(r.u16("signature.hash"), "TPMT_SIGNATURE signature.hash"),
                    r.tpm2b("signature.sig", MAX_RSA_BYTES));
            case TPM_ALG_ECDSA -> new Ecdsa(HashAlg.require(r.u16("signature.hash"), "TPMT_SIGNATURE signature.hash"),
                    r.tpm2b("signature.signatureR", MAX_ECC_BYTES), r.tpm2b("signature.signatureS", MAX_ECC_BYTES));
            default -> throw r.fail("sigAlg 0x" + Integer.toHexString(sigAlg)
                    + " is not RSASSA (0x0014), RSAPSS (0x0016) or ECDSA (0x0018)");
        };
        r.end();
        return sig;
    }

    /** Marshals this signature exactly as a TPM does. */
    default byte[] encode() {
        TpmWriter w = TpmWriter.bigEndian();
        switch (this) {
            case Rsassa(HashAlg hash, byte[] sig) -> w.u16(TPM_ALG_RSASSA).u16(hash.id()).tpm2b(sig);
            case Rsapss(HashAlg hash, byte[] sig) -> w.u16(TPM_ALG_RSAPSS).u16(hash.id()).tpm2b(sig);
            case Ecdsa(HashAlg hash, byte[] r, byte[] s) -> w.u16(TPM_ALG_ECDSA).u16(hash.id()).tpm2b(r).tpm2b(s);
        }
        return w.toByteArray();
    }
}
