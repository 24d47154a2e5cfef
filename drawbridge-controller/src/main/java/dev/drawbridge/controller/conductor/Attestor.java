package dev.drawbridge.controller.conductor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.attestation.AttestationKey;
import dev.drawbridge.attestation.ClockInfo;
import dev.drawbridge.attestation.Expectations;
import dev.drawbridge.attestation.FailureCode;
import dev.drawbridge.attestation.HashAlg;
import dev.drawbridge.attestation.PcrSelection;
import dev.drawbridge.attestation.Quote;
import dev.drawbridge.attestation.QuoteVerifier;
import dev.drawbridge.attestation.ReferenceValues;
import dev.drawbridge.attestation.Verdict;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes fresh nonces, builds quote requests, and judges quotes with the pure verifier against a node's
 * attestation key and reference values. Keeps each node's last clock so a TPM whose reset or restart
 * count goes down is caught.
 */
final class Attestor {
    static final PcrSelection REQUIRED = PcrSelection.of(HashAlg.SHA256, 0, 1, 2, 3, 7);
    static final String PCRS = "sha256:0,1,2,3,7";
    private final QuoteVerifier verifier = QuoteVerifier.create();
    private final SecureRandom random = new SecureRandom();
    private final Map<String, ClockInfo> clocks = new ConcurrentHashMap<>();

    byte[] nonce() {
        byte[] n = new byte[32];
        random.nextBytes(n);
        return n;
    }

    static Map<String, Object> request(byte[] nonce) {
        return Map.of("nonce", Base64.getUrlEncoder().withoutPadding().encodeToString(nonce), "pcrs", PCRS);
    }

    static AttestationKey key(String akPublicB64, String qualifiedNameB64) {
        Base64.Decoder d = Base64.getDecoder();
        return AttestationKey.fromTpm2bPublic(d.decode(akPublicB64)).withQualifiedName(d.decode(qualifiedNameB64));
    }

    /** Checks a quote result ({@code attest}, {@code signature}, {@code pcrs}) for a node. */
    Verdict judge(String nodeId, JsonNode result, AttestationKey key, byte[] nonce, Map<Integer, String> reference) {
        Base64.Decoder d = Base64.getDecoder();
        Quote quote;
        try {
            quote = new Quote(d.decode(result.path("attest").asText()), d.decode(result.path("signature").asText()),
                    d.decode(result.path("pcrs").asText()));
        } catch (IllegalArgumentException e) {
            return new Verdict.Failed(List.of(new Verdict.Reason(FailureCode.MALFORMED, "quote fields are not base64")));
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
        return v;
    }

    /**
     * The PCR values a failed quote still proved: when every reason is a reference mismatch, the signature,
     * nonce and digest were good, so the values are the machine's real ones (to show, or to accept).
     */
    Optional<Map<Integer, String>> proven(JsonNode result, AttestationKey key, byte[] nonce, Verdict v) {
        if (!(v instanceof Verdict.Failed f) || !f.reasons().stream().allMatch(r -> r.code() == FailureCode.REFERENCE_MISMATCH)) {
            return Optional.empty();
        }
        Base64.Decoder d = Base64.getDecoder();
        Verdict again = verifier.verify(new Quote(d.decode(result.path("attest").asText()),
                d.decode(result.path("signature").asText()), d.decode(result.path("pcrs").asText())),
                Expectations.of(key, nonce, REQUIRED, ReferenceValues.none()));
        return again instanceof Verdict.Trusted t ? Optional.of(baseline(t)) : Optional.empty();
    }

    static List<String> reasons(Verdict v) {
        return v instanceof Verdict.Failed f ? f.reasons().stream().map(r -> r.code() + ": " + r.detail()).toList()
                : List.of();
    }

    /** The PCR values a trusted baseline quote proved, as a hex map for storing as reference values. */
    static Map<Integer, String> baseline(Verdict.Trusted t) {
        Map<Integer, String> out = new TreeMap<>();
        t.pcrs().bank(HashAlg.SHA256).forEach((pcr, value) -> out.put(pcr, HexFormat.of().formatHex(value)));
        return out;
    }
}
