package dev.drawbridge.attestation;

import java.util.List;
import java.util.Optional;

/** The outcome of checking a quote: trusted with what was attested, or failed with every reason found. */
public sealed interface Verdict {

    /** The quote passed every check; {@code attest} and {@code pcrs} are what it proved. */
    record Trusted(TpmsAttest attest, PcrValues pcrs) implements Verdict {}

    /** The quote failed; {@code reasons} is never empty. */
    record Failed(List<Reason> reasons, Optional<PcrValues> proven) implements Verdict {
        /**
         * {@code proven}: the PCR values the quote still proved, present only when every reason is a reference
         * mismatch (signature, nonce, clock, selection and digest were good, so the values are the machine's real
         * ones, to show or to accept as a new baseline).
         */
        public Failed {
            reasons = List.copyOf(reasons);
            if (reasons.isEmpty()) {
                throw new IllegalArgumentException("a failed verdict needs a reason");
            }
        }

        public Failed(List<Reason> reasons) {
            this(reasons, Optional.empty());
        }

        public boolean has(FailureCode code) {
            return reasons.stream().anyMatch(r -> r.code() == code);
        }
    }

    /** One failed check, with a detail for people (e.g. which PCR, expected and actual hex). */
    record Reason(FailureCode code, String detail) {}

    default boolean trusted() {
        return this instanceof Trusted;
    }
}
