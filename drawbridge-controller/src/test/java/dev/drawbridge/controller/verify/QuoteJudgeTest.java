package dev.drawbridge.controller.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.attestation.HashAlg;
import dev.drawbridge.attestation.Quote;
import dev.drawbridge.attestation.SoftwareTpm;
import dev.drawbridge.protocol.QuoteResult;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** One verification per quote: the verdict, its reasons, and the PCR values it proved come from a single pass. */
class QuoteJudgeTest {
    private final SoftwareTpm tpm = SoftwareTpm.create();
    private final QuoteJudge judge = new QuoteJudge();

    private Map<Integer, String> reference() {
        Map<Integer, String> out = new TreeMap<>();
        for (int pcr : new int[] {0, 1, 2, 3, 7}) {
            out.put(pcr, HexFormat.of().formatHex(tpm.pcr(pcr)));
        }
        return out;
    }

    private static QuoteResult wire(Quote q) {
        Base64.Encoder b = Base64.getEncoder();
        return new QuoteResult(b.encodeToString(q.attest()), b.encodeToString(q.signature()),
                b.encodeToString(q.pcrs()));
    }

    @Test
    @DisplayName("a good quote is trusted and proves every required PCR")
    void trusted() {
        byte[] nonce = judge.nonce();
        var j = judge.judge("n1", wire(tpm.quote(nonce, QuoteJudge.REQUIRED)), tpm.attestationKey(), nonce, reference());
        assertThat(j.trusted()).isTrue();
        assertThat(j.reasons()).isEmpty();
        assertThat(j.proven()).contains(reference());
    }

    @Test
    @DisplayName("a changed PCR is untrusted, and the same pass proves the machine's real values")
    void referenceMismatchStillProves() {
        Map<Integer, String> before = reference();
        tpm.extend(7, HashAlg.SHA256.digest("an unapproved boot loader".getBytes(StandardCharsets.US_ASCII)));
        byte[] nonce = judge.nonce();
        var j = judge.judge("n1", wire(tpm.quote(nonce, QuoteJudge.REQUIRED)), tpm.attestationKey(), nonce, before);
        assertThat(j.trusted()).isFalse();
        assertThat(j.reasons()).singleElement().asString().startsWith("REFERENCE_MISMATCH").contains("PCR 7");
        assertThat(j.proven()).contains(reference());
        assertThat(j.proven().orElseThrow().get(7)).isNotEqualTo(before.get(7));
    }

    @Test
    @DisplayName("a wrong nonce, a reply without a quote, or non-base64 fields prove nothing")
    void otherFailuresProveNothing() {
        byte[] nonce = judge.nonce();
        var stale = judge.judge("n1", wire(tpm.quote(judge.nonce(), QuoteJudge.REQUIRED)), tpm.attestationKey(), nonce,
                reference());
        assertThat(stale.trusted()).isFalse();
        assertThat(stale.reasons()).anyMatch(r -> r.startsWith("WRONG_NONCE"));
        assertThat(stale.proven()).isEmpty();
        var none = QuoteJudge.noQuote();
        assertThat(none.reasons()).singleElement().asString().startsWith("MALFORMED").contains("no quote");
        var junk = judge.judge("n1", new QuoteResult("%%", "%%", "%%"), tpm.attestationKey(), nonce,
                reference());
        assertThat(junk.reasons()).singleElement().asString().contains("not base64");
        assertThat(QuoteJudge.agentError("no TPM").reasons()).containsExactly("MALFORMED: the agent could not quote: no TPM");
    }
}
