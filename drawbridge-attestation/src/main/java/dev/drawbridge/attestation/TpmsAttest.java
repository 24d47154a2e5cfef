package dev.drawbridge.attestation;

/**
 * A TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE (TCG TPM 2.0 Part 2, 10.12.12), as {@code tpm2_quote -m}
 * writes it: big-endian, no size prefix. These bytes are what the AK signed.
 *
 * <p>Byte arrays are owned by the record; do not modify them.
 */
public record TpmsAttest(byte[] qualifiedSigner, byte[] extraData, ClockInfo clockInfo, long firmwareVersion,
                         PcrSelection pcrSelect, byte[] pcrDigest) {
    /** TPM_GENERATED_VALUE: the TPM made this structure. */
    public static final int TPM_GENERATED_VALUE = 0xFF544347;
    /** TPM_ST_ATTEST_QUOTE. */
    public static final int TPM_ST_ATTEST_QUOTE = 0x8018;
    /** sizeof(TPMU_NAME): a TPMT_HA with a SHA-512 digest. */
    static final int MAX_NAME = 2 + 64;
    /** sizeof(TPMT_HA), the maximum of TPM2B_DATA. */
    static final int MAX_DATA = 2 + 64;
    /** sizeof(TPMU_HA), the maximum of TPM2B_DIGEST. */
    static final int MAX_DIGEST = 64;

    public TpmsAttest {
        check(qualifiedSigner.length <= MAX_NAME, "qualifiedSigner longer than " + MAX_NAME);
        check(extraData.length <= MAX_DATA, "extraData longer than " + MAX_DATA);
        check(pcrDigest.length <= MAX_DIGEST, "pcrDigest longer than " + MAX_DIGEST);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new AttestationException("TPMS_ATTEST: " + message);
        }
    }

    /** Parses a quote's TPMS_ATTEST; anything but a complete quote structure is an {@link AttestationException}. */
    public static TpmsAttest parse(byte[] data) {
        TpmReader r = TpmReader.bigEndian(data, "TPMS_ATTEST");
        long magic = r.u32("magic");
        if (magic != (TPM_GENERATED_VALUE & 0xFFFFFFFFL)) {
            throw r.fail("magic is 0x" + Long.toHexString(magic) + ", not TPM_GENERATED_VALUE 0xff544347");
        }
        int type = r.u16("type");
        if (type != TPM_ST_ATTEST_QUOTE) {
            throw r.fail("type is 0x" + Integer.toHexString(type) + ", not TPM_ST_ATTEST_QUOTE 0x8018");
        }
        byte[] signer = r.tpm2b("qualifiedSigner", MAX_NAME);
        byte[] extra = r.tpm2b("extraData", MAX_DATA);
        ClockInfo clock = ClockInfo.read(r);
        long firmware = r.u64("firmwareVersion");
        PcrSelection selection = PcrSelection.read(r, "attested.quote.pcrSelect");
        byte[] digest = r.tpm2b("attested.quote.pcrDigest", MAX_DIGEST);
        r.end();
        return new TpmsAttest(signer, extra, clock, firmware, selection, digest);
    }

    /** Marshals this structure exactly as a TPM does. */
    public byte[] encode() {
        TpmWriter w = TpmWriter.bigEndian();
        w.u32(TPM_GENERATED_VALUE).u16(TPM_ST_ATTEST_QUOTE).tpm2b(qualifiedSigner).tpm2b(extraData);
        clockInfo.write(w);
        w.u64(firmwareVersion);
        pcrSelect.write(w);
        w.tpm2b(pcrDigest);
        return w.toByteArray();
    }
}
