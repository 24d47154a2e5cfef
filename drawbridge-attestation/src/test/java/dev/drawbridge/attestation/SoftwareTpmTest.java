package dev.drawbridge.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SoftwareTpmTest {
    private static final PcrSelection SELECTION = PcrSelection.of(HashAlg.SHA256, 0, 1, 2, 3, 7);
    private final AtomicLong millis = new AtomicLong(1000);
    private final SoftwareTpm tpm = SoftwareTpm.create(millis::get);
    private final QuoteVerifier verifier = QuoteVerifier.create();

    private Expectations expect(byte[] nonce) {
        return Expectations.of(tpm.attestationKey(), nonce, SELECTION, ReferenceValues.of(HashAlg.SHA256,
                Map.of(0, tpm.pcr(0), 7, tpm.pcr(7))));
    }

    @Test
    void extend_hashes_the_old_value_with_the_digest() {
        byte[] digest = HashAlg.SHA256.digest("event".getBytes());
        tpm.extend(7, digest);
        assertThat(tpm.pcr(7)).isEqualTo(HashAlg.SHA256.digest(new byte[32], digest));
    }

    @Test
    void the_verifier_trusts_a_software_quote() {
        tpm.extend(0, HashAlg.SHA256.digest("bios".getBytes()));
        byte[] nonce = "nonce-1".getBytes();
        assertThat(verifier.verify(tpm.quote(nonce, SELECTION), expect(nonce)).trusted()).isTrue();
    }

    @Test
    void a_software_quote_has_the_layout_tpm2_quote_writes() {
        Quote quote = tpm.quote(new byte[8], SELECTION);
        TpmsAttest attest = TpmsAttest.parse(quote.attest());
        // Same sizes as swtpm's ECDSA quote over sha256:0,1,2,3,7 with an 8-byte nonce: 121, 72 and 668 bytes.
        assertThat(quote.attest()).hasSize(121);
        assertThat(quote.signature()).hasSize(72);
        assertThat(quote.pcrs()).hasSize(668);
        assertThat(attest.qualifiedSigner()).hasSize(34);
        assertThat(TpmsAttest.parse(quote.attest()).encode()).isEqualTo(quote.attest());
        assertThat(TpmtSignature.parse(quote.signature()).encode()).isEqualTo(quote.signature());
        assertThat(PcrValues.parse(quote.pcrs()).encode()).isEqualTo(quote.pcrs());
    }

    @Test
    void its_AK_name_is_computed_from_its_TPM2B_PUBLIC() {
        AttestationKey parsed = AttestationKey.fromTpm2bPublic(tpm.akPublic());
        assertThat(parsed.name().orElseThrow()).isEqualTo(tpm.attestationKey().name().orElseThrow());
        assertThat(parsed.publicKey()).isEqualTo(tpm.attestationKey().publicKey());
    }

    @Test
    void a_restart_makes_an_older_quote_fail_CLOCK_WENT_BACKWARDS() {
        byte[] nonce = "n".getBytes();
        Quote old = tpm.quote(nonce, SELECTION);
        tpm.restart();
        ClockInfo now = TpmsAttest.parse(tpm.quote(nonce, SELECTION).attest()).clockInfo();
        assertThat(codes(verifier.verify(old, expect(nonce).after(now)))).containsExactly(FailureCode.CLOCK_WENT_BACKWARDS);
    }

    @Test
    void a_reset_clears_the_PCRs_and_restarts_the_restart_count() {
        tpm.extend(3, new byte[32]);
        tpm.restart();
        tpm.reset();
        ClockInfo c = TpmsAttest.parse(tpm.quote(new byte[0], SELECTION).attest()).clockInfo();
        assertThat(c.resetCount()).isEqualTo(1);
        assertThat(c.restartCount()).isZero();
        assertThat(tpm.pcr(3)).isEqualTo(new byte[32]);
    }

    @Test
    void an_unsafe_clock_fails_CLOCK_NOT_SAFE() {
        tpm.setSafe(false);
        byte[] nonce = "n".getBytes();
        assertThat(codes(verifier.verify(tpm.quote(nonce, SELECTION), expect(nonce)))).containsExactly(FailureCode.CLOCK_NOT_SAFE);
    }

    @Test
    void a_clock_that_moved_back_within_one_boot_fails_CLOCK_WENT_BACKWARDS() {
        byte[] nonce = "n".getBytes();
        millis.set(5000);
        ClockInfo later = TpmsAttest.parse(tpm.quote(nonce, SELECTION).attest()).clockInfo();
        millis.set(2000);
        assertThat(codes(verifier.verify(tpm.quote(nonce, SELECTION), expect(nonce).after(later))))
                .containsExactly(FailureCode.CLOCK_WENT_BACKWARDS);
    }

    @Test
    void it_refuses_a_bank_it_does_not_have_and_a_PCR_out_of_range() {
        assertThatThrownBy(() -> tpm.quote(new byte[0], PcrSelection.of(HashAlg.SHA1, 0)))
                .isInstanceOf(AttestationException.class).hasMessageContaining("SHA1");
        assertThatThrownBy(() -> tpm.extend(24, new byte[32])).isInstanceOf(AttestationException.class);
        assertThatThrownBy(() -> tpm.extend(0, new byte[20])).isInstanceOf(AttestationException.class);
    }

    static List<FailureCode> codes(Verdict verdict) {
        assertThat(verdict).isInstanceOf(Verdict.Failed.class);
        return ((Verdict.Failed) verdict).reasons().stream().map(Verdict.Reason::code).toList();
    }
}
