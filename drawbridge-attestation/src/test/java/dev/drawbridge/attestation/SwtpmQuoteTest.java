package dev.drawbridge.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.testkit.Swtpm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/**
 * Quotes from a real swtpm through tpm2-tools, checked by our parsers and verifier: an ECC EK, and an ECDSA, an
 * RSASSA and an RSAPSS AK under it.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SwtpmQuoteTest {
    private record Ak(String handle, String alg, String scheme, String prefix) {}

    private static final String EK = "0x81010001";
    private static final Ak ECC_AK = new Ak("0x81010002", "ecc", "ecdsa", "ecc");
    private static final Ak RSA_AK = new Ak("0x81010003", "rsa", "rsassa", "rsa");
    private static final Ak RSAPSS_AK = new Ak("0x81010004", "rsa", "rsapss", "rsapss");
    private static final String SELECTION = "sha256:0,1,2,3,7";
    private static final PcrSelection REQUIRED = PcrSelection.of(HashAlg.SHA256, 0, 1, 2, 3, 7);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static Swtpm tpm;
    private final QuoteVerifier verifier = QuoteVerifier.create();

    @BeforeAll
    static void startTpm() throws Exception {
        tpm = Swtpm.start();
        tpm.createEk(EK, "ecc");
        for (Ak ak : List.of(ECC_AK, RSA_AK, RSAPSS_AK)) {
            tpm.createAk(EK, ak.handle(), ak.alg(), ak.scheme(), ak.prefix());
        }
    }

    @AfterAll
    static void stopTpm() throws Exception {
        if (tpm != null) {
            tpm.close();
        }
    }

    private static byte[] nonce() {
        byte[] n = new byte[32];
        RANDOM.nextBytes(n);
        return n;
    }

    private static Quote quote(Ak ak, String selection, byte[] nonce) {
        Swtpm.Quoted q = tpm.quote(ak.handle(), ak.scheme(), selection, nonce);
        return new Quote(q.attest(), q.signature(), q.pcrs());
    }

    /** The AK from its TPM2B_PUBLIC, with the qualified Name tpm2_readpublic reports. */
    private static AttestationKey ak(String prefix) {
        return AttestationKey.fromTpm2bPublic(tpm.file(prefix + ".pub")).withQualifiedName(tpm.file(prefix + ".qname"));
    }

    private static Expectations expect(String akPrefix, byte[] nonce) {
        return Expectations.of(ak(akPrefix), nonce, REQUIRED,
                ReferenceValues.of(HashAlg.SHA256, tpm.pcrs(0, 1, 2, 3, 7)));
    }

    @Test
    void a_swtpm_quote_from_an_ECDSA_AK_is_trusted_with_the_right_nonce_and_golden_values() {
        byte[] nonce = nonce();
        Expectations exp = expect("ecc", nonce);
        Verdict verdict = verifier.verify(quote(ECC_AK, SELECTION, nonce), exp);
        assertThat(verdict).isInstanceOf(Verdict.Trusted.class);
    }

    @Test
    void a_swtpm_quote_from_an_RSA_AK_is_trusted_with_the_right_nonce_and_golden_values() {
        byte[] nonce = nonce();
        Expectations exp = expect("rsa", nonce);
        Quote quote = quote(RSA_AK, SELECTION, nonce);
        assertThat(TpmtSignature.parse(quote.signature())).isInstanceOf(TpmtSignature.Rsassa.class);
        assertThat(verifier.verify(quote, exp)).isInstanceOf(Verdict.Trusted.class);
    }

    @Test
    void a_swtpm_quote_from_an_RSAPSS_AK_is_trusted_with_the_right_nonce_and_golden_values() {
        byte[] nonce = nonce();
        Expectations exp = expect("rsapss", nonce);
        Quote quote = quote(RSAPSS_AK, SELECTION, nonce);
        assertThat(TpmtSignature.parse(quote.signature())).isInstanceOf(TpmtSignature.Rsapss.class);
        assertThat(verifier.verify(quote, exp)).isInstanceOf(Verdict.Trusted.class);
    }

    @Test
    void an_AK_read_from_PEM_verifies_the_same_quote() throws Exception {
        byte[] nonce = nonce();
        AttestationKey pem = AttestationKey.fromPem(Files.readString(Path.of(tpm.path("ecc.pem"))));
        assertThat(pem.publicKey()).isEqualTo(ak("ecc").publicKey());
        Expectations exp = Expectations.of(pem, nonce, REQUIRED, ReferenceValues.none());
        assertThat(verifier.verify(quote(ECC_AK, SELECTION, nonce), exp).trusted()).isTrue();
    }

    @Test
    void the_AK_name_computed_from_its_TPM2B_PUBLIC_is_the_one_tpm2_createak_reports() {
        assertThat(ak("ecc").name()).hasValueSatisfying(n -> assertThat(n).isEqualTo(tpm.file("ecc.name")));
        assertThat(ak("rsa").name()).hasValueSatisfying(n -> assertThat(n).isEqualTo(tpm.file("rsa.name")));
    }

    @Test
    void the_AK_qualified_name_computed_from_the_EK_and_AK_is_the_quote_s_qualifiedSigner() {
        AttestationKey ek = AttestationKey.fromTpm2bPublic(tpm.file("ek.pub"));
        byte[] ekQualified = TpmName.qualified(HashAlg.SHA256, TpmName.hierarchy(TpmName.TPM_RH_ENDORSEMENT),
                ek.name().orElseThrow());
        AttestationKey ak = AttestationKey.fromTpm2bPublic(tpm.file("ecc.pub")).qualifiedUnder(ekQualified);
        TpmsAttest attest = TpmsAttest.parse(quote(ECC_AK, SELECTION, nonce()).attest());
        assertThat(ak.qualifiedName().orElseThrow()).isEqualTo(attest.qualifiedSigner());
    }

    @Test
    void after_pcrextend_of_PCR_7_the_next_quote_fails_REFERENCE_MISMATCH_naming_PCR_7() {
        byte[] nonce = nonce();
        Expectations exp = expect("ecc", nonce);
        byte[] event = HashAlg.SHA256.digest("a kernel we did not expect".getBytes());
        tpm.extend(7, event);
        Verdict verdict = verifier.verify(quote(ECC_AK, SELECTION, nonce), exp);
        assertThat(verdict).isInstanceOfSatisfying(Verdict.Failed.class, f -> {
            assertThat(f.reasons()).extracting(Verdict.Reason::code).containsExactly(FailureCode.REFERENCE_MISMATCH);
            assertThat(f.reasons().get(0).detail()).contains("PCR 7")
                    .contains(HexFormat.of().formatHex(exp.reference().banks().get(HashAlg.SHA256).get(7)));
        });
    }

    @Test
    void a_replayed_quote_with_an_old_nonce_fails_WRONG_NONCE() {
        byte[] old = nonce();
        Quote quote = quote(ECC_AK, SELECTION, old);
        assertThat(failures(verifier.verify(quote, expect("ecc", nonce())))).containsExactly(FailureCode.WRONG_NONCE);
    }

    @Test
    void a_flipped_signature_bit_fails_BAD_SIGNATURE() {
        byte[] nonce = nonce();
        Quote quote = quote(ECC_AK, SELECTION, nonce);
        byte[] sig = quote.signature().clone();
        sig[10] ^= 0x01;
        assertThat(failures(verifier.verify(new Quote(quote.attest(), sig, quote.pcrs()), expect("ecc", nonce))))
                .containsExactly(FailureCode.BAD_SIGNATURE);
    }

    @Test
    void a_flipped_RSA_signature_bit_fails_BAD_SIGNATURE() {
        byte[] nonce = nonce();
        Quote quote = quote(RSA_AK, SELECTION, nonce);
        byte[] sig = quote.signature().clone();
        sig[sig.length - 1] ^= 0x01;
        assertThat(failures(verifier.verify(new Quote(quote.attest(), sig, quote.pcrs()), expect("rsa", nonce))))
                .containsExactly(FailureCode.BAD_SIGNATURE);
    }

    @Test
    void a_quote_checked_against_a_different_AK_fails_WRONG_AK_and_BAD_SIGNATURE() {
        byte[] nonce = nonce();
        Quote quote = quote(ECC_AK, SELECTION, nonce);
        AttestationKey other = SoftwareTpm.create().attestationKey();
        Expectations exp = Expectations.of(other, nonce, REQUIRED, ReferenceValues.none());
        assertThat(failures(verifier.verify(quote, exp)))
                .containsExactlyInAnyOrder(FailureCode.WRONG_AK, FailureCode.BAD_SIGNATURE);
    }

    @Test
    void a_quote_signed_by_the_other_real_AK_fails_WRONG_AK_and_BAD_SIGNATURE() {
        byte[] nonce = nonce();
        Quote quote = quote(RSA_AK, SELECTION, nonce);
        assertThat(failures(verifier.verify(quote, expect("ecc", nonce))))
                .containsExactlyInAnyOrder(FailureCode.WRONG_AK, FailureCode.BAD_SIGNATURE);
    }

    @Test
    void a_selection_that_omits_a_required_PCR_fails_MISSING_PCR() {
        byte[] nonce = nonce();
        Quote quote = quote(ECC_AK, "sha256:0,1,2,3", nonce);
        Expectations exp = Expectations.of(ak("ecc"), nonce, REQUIRED, ReferenceValues.none());
        Verdict verdict = verifier.verify(quote, exp);
        assertThat(failures(verdict)).containsExactly(FailureCode.MISSING_PCR);
        assertThat(((Verdict.Failed) verdict).reasons().get(0).detail()).contains("[7]");
    }

    @Test
    void a_tampered_PCR_file_fails_PCR_DIGEST_MISMATCH() {
        byte[] nonce = nonce();
        Quote quote = quote(ECC_AK, SELECTION, nonce);
        PcrValues real = PcrValues.parse(quote.pcrs());
        List<byte[]> forged = new ArrayList<>(real.values());
        forged.set(4, HashAlg.SHA256.digest("what the verifier wants to see".getBytes()));
        Quote tampered = new Quote(quote.attest(), quote.signature(), new PcrValues(real.selection(), forged).encode());
        assertThat(failures(verifier.verify(tampered, expect("ecc", nonce))))
                .containsExactly(FailureCode.PCR_DIGEST_MISMATCH);
    }

    @Test
    void a_quote_whose_restartCount_is_lower_than_the_previous_fails_CLOCK_WENT_BACKWARDS() {
        byte[] oldNonce = nonce();
        Quote before = quote(ECC_AK, SELECTION, oldNonce);
        tpm.restart();
        Quote after = quote(ECC_AK, SELECTION, nonce());
        ClockInfo later = TpmsAttest.parse(after.attest()).clockInfo();
        ClockInfo earlier = TpmsAttest.parse(before.attest()).clockInfo();
        assertThat(later.restartCount()).isEqualTo(earlier.restartCount() + 1);
        Verdict verdict = verifier.verify(before, expect("ecc", oldNonce).after(later));
        assertThat(failures(verdict)).containsExactly(FailureCode.CLOCK_WENT_BACKWARDS);
    }

    @Test
    void our_parsers_agree_with_tpm2_print_on_nonce_clock_and_pcr_selection() {
        byte[] nonce = nonce();
        Swtpm.Quoted quoted = tpm.quote(ECC_AK.handle(), ECC_AK.scheme(), SELECTION, nonce);
        TpmsAttest attest = TpmsAttest.parse(quoted.attest());
        String printed = tpm.tpm2("tpm2_print", "-t", "TPMS_ATTEST", quoted.attestFile().toString());
        Map<String, String> fields = new HashMap<>();
        for (String line : printed.split("\n")) {
            String[] kv = line.trim().split(":\\s*", 2);
            if (kv.length == 2 && !kv[1].isBlank()) {
                fields.putIfAbsent(kv[0], kv[1].trim());
            }
        }
        assertThat(fields.get("extraData")).isEqualTo(HexFormat.of().formatHex(attest.extraData()));
        assertThat(fields.get("qualifiedSigner")).isEqualTo(HexFormat.of().formatHex(attest.qualifiedSigner()));
        assertThat(Long.parseLong(fields.get("clock"))).isEqualTo(attest.clockInfo().clock());
        assertThat(Long.parseLong(fields.get("resetCount"))).isEqualTo(attest.clockInfo().resetCount());
        assertThat(Long.parseLong(fields.get("restartCount"))).isEqualTo(attest.clockInfo().restartCount());
        assertThat(fields.get("safe")).isEqualTo(attest.clockInfo().safe() ? "1" : "0");
        assertThat(fields.get("hash")).startsWith(HashAlg.SHA256.id() + " (sha256)");
        assertThat(fields.get("sizeofSelect")).isEqualTo("3");
        assertThat(fields.get("pcrSelect")).isEqualTo("8f0000"); // PCRs 0, 1, 2, 3 and 7
        assertThat(attest.pcrSelect()).isEqualTo(REQUIRED);
        assertThat(fields.get("pcrDigest")).isEqualTo(HexFormat.of().formatHex(attest.pcrDigest()));
    }

    @Test
    void swtpm_files_re_encode_to_the_same_bytes() {
        Quote ecc = quote(ECC_AK, SELECTION, nonce());
        Quote rsa = quote(RSA_AK, "sha256:0,1,2,3,4,5,6,7,8,9", nonce());
        for (Quote q : new Quote[] {ecc, rsa}) {
            assertThat(TpmsAttest.parse(q.attest()).encode()).isEqualTo(q.attest());
            assertThat(TpmtSignature.parse(q.signature()).encode()).isEqualTo(q.signature());
            assertThat(PcrValues.parse(q.pcrs()).encode()).isEqualTo(q.pcrs());
        }
        assertThat(rsa.pcrs()).hasSize(1200);
        assertThat(PcrValues.parse(rsa.pcrs()).values()).hasSize(10);
    }

    private static List<FailureCode> failures(Verdict verdict) {
        assertThat(verdict).isInstanceOf(Verdict.Failed.class);
        return ((Verdict.Failed) verdict).reasons().stream().map(Verdict.Reason::code).toList();
    }
}
