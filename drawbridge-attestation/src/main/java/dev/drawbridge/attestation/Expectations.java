package dev.drawbridge.attestation;

import java.util.Optional;

/**
 * What a quote must show to be trusted: signed by this AK, over this nonce, covering the
 * required PCRs with the reference values, and (when a previous quote was seen) with a clock
 * that did not go backwards.
 */
public record Expectations(AttestationKey key, byte[] nonce, PcrSelection required, ReferenceValues reference,
                           Optional<ClockInfo> previousClock) {

    public static Expectations of(AttestationKey key, byte[] nonce, PcrSelection required, ReferenceValues reference) {
        return new Expectations(key, nonce.clone(), required, reference, Optional.empty());
    }

    /** These expectations, also requiring the quote's clock to be no earlier than {@code previous}. */
    public Expectations after(ClockInfo previous) {
        return new Expectations(key, nonce, required, reference, Optional.of(previous));
    }
}
