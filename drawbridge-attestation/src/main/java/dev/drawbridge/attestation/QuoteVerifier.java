package dev.drawbridge.attestation;

/**
 * Checks a TPM quote against expectations: signature, signer, nonce, clock, PCR digest and
 * reference values. Pure and thread-safe. A PCR_DIGEST_MISMATCH can be the race between
 * TPM2_Quote and the separate TPM2_PCR_Read; the caller should fetch a fresh quote before
 * treating it as tampering.
 */
public interface QuoteVerifier {

    Verdict verify(Quote quote, Expectations expectations);

    /** A verifier that uses the highest-priority JCA provider for each signature algorithm. */
    static QuoteVerifier create() {
        return new JcaQuoteVerifier();
    }
}
