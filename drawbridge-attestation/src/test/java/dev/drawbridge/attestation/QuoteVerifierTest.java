package dev.drawbridge.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The verifier's failure table, over software TPM quotes. */
class QuoteVerifierTest {
    private static final PcrSelection SELECTION = PcrSelection.of(HashAlg.SHA256, 0, 1, 2, 3, 7);
    private static final SoftwareTpm TPM = SoftwareTpm.create();
    private static final byte[] NONCE = "the nonce we sent".getBytes();

    record Case(Quote quote, Expectations expectations) {}

    static Stream<Arguments> failures() {
        Quote good = TPM.quote(NONCE, SELECTION);
        Expectations exp = Expectations.of(TPM.attestationKey(), NONCE, SELECTION,
                ReferenceValues.of(HashAlg.SHA256, Map.of(7, TPM.pcr(7))));
        BiFunction<Quote, Expectations, Case> c = Case::new;
        byte[] badSig = good.signature().clone();
        badSig[badSig.length - 1] ^= 1;
        byte[] badAttest = good.attest().clone();
        badAttest[badAttest.length - 1] ^= 1;
        PcrValues values = PcrValues.parse(good.pcrs());
        List<byte[]> forged = new ArrayList<>(values.values());
        forged.set(0, new byte[32]);
        forged.set(0, HashAlg.SHA256.digest("x".getBytes()));
        byte[] truncated = Arrays.copyOf(good.attest(), 40);
        return Stream.of(
                Arguments.of("attestation fails when the nonce differs", c.apply(good,
                        Expectations.of(TPM.attestationKey(), "another".getBytes(), SELECTION, exp.reference())),
                        List.of(FailureCode.WRONG_NONCE)),
                Arguments.of("attestation fails when the signature is altered", c.apply(
                        new Quote(good.attest(), badSig, good.pcrs()), exp), List.of(FailureCode.BAD_SIGNATURE)),
                Arguments.of("attestation fails when the signed bytes are altered", c.apply(
                        new Quote(badAttest, good.signature(), good.pcrs()), exp), List.of(FailureCode.BAD_SIGNATURE,
                                FailureCode.PCR_DIGEST_MISMATCH)),
                Arguments.of("attestation fails when another AK is expected", c.apply(good,
                        Expectations.of(SoftwareTpm.create().attestationKey(), NONCE, SELECTION, exp.reference())),
                        List.of(FailureCode.BAD_SIGNATURE, FailureCode.WRONG_AK)),
                Arguments.of("attestation fails when a required PCR is not quoted", c.apply(good,
                        Expectations.of(TPM.attestationKey(), NONCE, PcrSelection.of(HashAlg.SHA256, 0, 8),
                                ReferenceValues.none())), List.of(FailureCode.MISSING_PCR)),
                Arguments.of("attestation fails when a reference value names an unquoted PCR", c.apply(good,
                        Expectations.of(TPM.attestationKey(), NONCE, SELECTION,
                                ReferenceValues.of(HashAlg.SHA256, Map.of(9, new byte[32])))), List.of(FailureCode.MISSING_PCR)),
                Arguments.of("attestation fails when the PCR values are forged", c.apply(new Quote(good.attest(),
                        good.signature(), new PcrValues(values.selection(), forged).encode()), exp),
                        List.of(FailureCode.PCR_DIGEST_MISMATCH)),
                Arguments.of("attestation fails when a PCR differs from its reference", c.apply(good,
                        Expectations.of(TPM.attestationKey(), NONCE, SELECTION,
                                ReferenceValues.of(HashAlg.SHA256, Map.of(7, HashAlg.SHA256.digest(new byte[1]))))),
                        List.of(FailureCode.REFERENCE_MISMATCH)),
                Arguments.of("attestation fails as malformed when the quote is truncated", c.apply(
                        new Quote(truncated, good.signature(), good.pcrs()), exp), List.of(FailureCode.MALFORMED)),
                Arguments.of("attestation fails as malformed when the PCR file is empty", c.apply(
                        new Quote(good.attest(), good.signature(), new byte[0]), exp), List.of(FailureCode.MALFORMED)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void fails_with_reasons(String name, Case c, List<FailureCode> expected) {
        Verdict verdict = QuoteVerifier.create().verify(c.quote(), c.expectations());
        assertThat(SoftwareTpmTest.codes(verdict)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(((Verdict.Failed) verdict).reasons()).allSatisfy(r -> assertThat(r.detail()).isNotBlank());
    }

    @Test
    void attestation_fails_without_throwing_when_the_signature_hash_has_no_JCA_provider() {
        Quote good = TPM.quote(NONCE, SELECTION);
        TpmtSignature.Ecdsa sig = (TpmtSignature.Ecdsa) TpmtSignature.parse(good.signature());
        Quote sm3 = new Quote(good.attest(), new TpmtSignature.Ecdsa(HashAlg.SM3_256, sig.r(), sig.s()).encode(), good.pcrs());
        Verdict verdict = QuoteVerifier.create().verify(sm3, Expectations.of(TPM.attestationKey(), NONCE, SELECTION,
                ReferenceValues.none()));
        assertThat(verdict.trusted()).isFalse();
    }
}
