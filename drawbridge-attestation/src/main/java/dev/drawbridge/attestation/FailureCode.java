package dev.drawbridge.attestation;

/** Why a quote was not trusted. */
public enum FailureCode {
    /** A file is not the TPM structure it should be. */
    MALFORMED,
    /** The AK's signature over the TPMS_ATTEST does not verify. */
    BAD_SIGNATURE,
    /** extraData is not the nonce the verifier sent: a replay, or a quote for someone else. */
    WRONG_NONCE,
    /** qualifiedSigner is not the expected AK's qualified Name. */
    WRONG_AK,
    /** The digest of the reported PCR values is not the quote's pcrDigest. */
    PCR_DIGEST_MISMATCH,
    /** The quote's selection leaves out a PCR the verifier requires. */
    MISSING_PCR,
    /** A PCR's value differs from its reference value. */
    REFERENCE_MISMATCH,
    /** The TPM says its clock may have gone backwards (TPMS_CLOCK_INFO.safe is NO). */
    CLOCK_NOT_SAFE,
    /** resetCount, restartCount or clock is lower than in the previous quote. */
    CLOCK_WENT_BACKWARDS
}
