package dev.drawbridge.attestation;

import java.util.List;

/** The outcome of checking a quote: trusted with what was attested, or failed with every reason found. */
public sealed interface Verdict {

    /** The quote passed every check; {@code attest} and {@code pcrs} are what it proved. */
    record Trusted(TpmsAttest attest, PcrValues pcrs) implements Verdict {}

    /** The quote failed; {@code reasons} is never empty. */
    record Failed(List<Reason> reasons) implements Verdict {
        public Failed {
            reasons = List.copyOf(reasons);
            if (reasons.isEmpty()) {
                throw new IllegalArgumentException("a failed verdict needs a reason");
            }
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
