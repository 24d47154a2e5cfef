package dev.drawbridge.controller.verify;

import dev.drawbridge.attestation.AttestationKey;
import dev.drawbridge.attestation.ClockInfo;
import dev.drawbridge.attestation.Expectations;
import dev.drawbridge.attestation.FailureCode;
import dev.drawbridge.attestation.HashAlg;
import dev.drawbridge.attestation.PcrSelection;
import dev.drawbridge.attestation.PcrValues;
import dev.drawbridge.attestation.Quote;
import dev.drawbridge.attestation.QuoteVerifier;
import dev.drawbridge.attestation.ReferenceValues;
import dev.drawbridge.attestation.Verdict;
import dev.drawbridge.protocol.QuoteResult;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one place a quote is judged: makes fresh nonces, builds quote requests, and verifies each quote once with the
 * pure verifier against a node's attestation key and reference values. Keeps each node's last TPM clock so a TPM
 * whose reset or restart count goes down is caught.
 */
public final class QuoteJudge {
    public static final PcrSelection REQUIRED = PcrSelection.of(HashAlg.SHA256, 0, 1, 2, 3, 7);
    public static final String PCRS = "sha256:0,1,2,3,7";

    /**
     * A judged quote: the verifier's verdict, its reasons as text, and the SHA-256 PCR values the quote proved (all
     * of them when trusted; when only reference values differ, the machine's real ones, to show or to accept).
     */
    public record Judgement(Verdict verdict, List<String> reasons,
                            Optional<Map<Integer, String>> proven) {
        public boolean trusted() {
            return verdict.trusted();
        }

        /** True when every reason is a PCR digest mismatch: PCRs changed between the quote and the read (a race). */
        public boolean race() {
            return verdict instanceof Verdict.Failed f
                    && f.reasons().stream().allMatch(r -> r.code() == FailureCode.PCR_DIGEST_MISMATCH);
        }
    }

    private final QuoteVerifier verifier = QuoteVerifier.create();
    private final SecureRandom random = new SecureRandom();
    private final Map<String, ClockInfo> clocks = new ConcurrentHashMap<>();

    public byte[] nonce() {
        byte[] n = new byte[32];
        random.nextBytes(n);
        return n;
    }

    /** The parameters of an {@code attestation.quote} command over {@code nonce}. */
    public static Map<String, Object> request(byte[] nonce) {
        return Map.of("nonce", Base64.getUrlEncoder().withoutPadding().encodeToString(nonce), "pcrs", PCRS);
    }

    /** An attestation key from its stored TPM2B_PUBLIC and qualified Name (both base64). */
    public static AttestationKey key(String akPublicB64, String qualifiedNameB64) {
        Base64.Decoder d = Base64.getDecoder();
        return AttestationKey.fromTpm2bPublic(d.decode(akPublicB64)).withQualifiedName(d.decode(qualifiedNameB64));
    }

    /** A quote the agent could not make, as a judgement naming the agent's error. */
    public static Judgement agentError(String error) {
        return malformed("the agent could not quote: " + error);
    }

    /** A reply that had no quote in it, as a judgement saying so. */
    public static Judgement noQuote() {
        return malformed("the reply has no quote (attest, signature and pcrs as base64 strings)");
    }

    /** Judges a node's quote once; a trusted one moves the node's clock on. */
    public Judgement judge(String nodeId, QuoteResult result, AttestationKey key, byte[] nonce,
                           Map<Integer, String> reference) {
        Quote quote;
        try {
            Base64.Decoder d = Base64.getDecoder();
            quote = new Quote(d.decode(result.attest()), d.decode(result.signature()), d.decode(result.pcrs()));
        } catch (IllegalArgumentException e) {
            return malformed("quote fields are not base64");
        }
        Map<Integer, byte[]> golden = new TreeMap<>();
        reference.forEach((pcr, hex) -> golden.put(pcr, HexFormat.of().parseHex(hex)));
        Expectations exp = Expectations.of(key, nonce, REQUIRED, golden.isEmpty() ? ReferenceValues.none()
                : ReferenceValues.of(HashAlg.SHA256, golden));
        Optional<ClockInfo> previous = Optional.ofNullable(clocks.get(nodeId));
        Verdict v = verifier.verify(quote, previous.map(exp::after).orElse(exp));
        if (v instanceof Verdict.Trusted t) {
            clocks.put(nodeId, t.attest().clockInfo());
        }
        return judged(v);
    }

    private static Judgement malformed(String detail) {
        return judged(new Verdict.Failed(List.of(new Verdict.Reason(
                FailureCode.MALFORMED, detail))));
    }

    private static Judgement judged(Verdict v) {
        Optional<PcrValues> proven = switch (v) {
            case Verdict.Trusted t -> Optional.of(t.pcrs());
            case Verdict.Failed f -> f.proven();
        };
        return new Judgement(v, reasons(v), proven.map(QuoteJudge::sha256));
    }

    private static List<String> reasons(Verdict v) {
        return v instanceof Verdict.Failed f
                ? f.reasons().stream().map(r -> r.code() + ": " + r.detail()).toList() : List.of();
    }

    /** The SHA-256 bank as PCR index to hex, for storing as reference values. */
    private static Map<Integer, String> sha256(PcrValues pcrs) {
        Map<Integer, String> out = new TreeMap<>();
        pcrs.bank(HashAlg.SHA256).forEach((pcr, value) -> out.put(pcr, HexFormat.of().formatHex(value)));
        return out;
    }
}
