package dev.drawbridge.attestation;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Every parser of outside input either parses or throws {@link AttestationException}: never an
 * IndexOutOfBounds, NegativeArraySize or other runtime error. In a normal test run Jazzer replays
 * the seeds under {@code ParsersFuzzTestInputs/<method>/}; with JAZZER_FUZZ=1 it fuzzes.
 */
class ParsersFuzzTest {

    private static void parsesOrRejects(Runnable parse) {
        try {
            parse.run();
        } catch (AttestationException expected) {
            // a clean, named rejection
        }
    }

    @FuzzTest(maxDuration = "30s")
    void tpmsAttest(byte[] data) {
        parsesOrRejects(() -> {
            TpmsAttest attest = TpmsAttest.parse(data);
            if (!Arrays.equals(attest.encode(), data)) {
                throw new AssertionError("TPMS_ATTEST did not re-encode to its input");
            }
        });
    }

    @FuzzTest(maxDuration = "30s")
    void tpmtSignature(byte[] data) {
        parsesOrRejects(() -> {
            TpmtSignature sig = TpmtSignature.parse(data);
            if (!Arrays.equals(sig.encode(), data)) {
                throw new AssertionError("TPMT_SIGNATURE did not re-encode to its input");
            }
        });
    }

    @FuzzTest(maxDuration = "30s")
    void pcrValues(byte[] data) {
        parsesOrRejects(() -> PcrValues.parse(data));
    }

    @FuzzTest(maxDuration = "30s")
    void tpm2bPublic(byte[] data) {
        parsesOrRejects(() -> AttestationKey.fromTpm2bPublic(data));
    }

    @FuzzTest(maxDuration = "30s")
    void akPem(byte[] data) {
        parsesOrRejects(() -> AttestationKey.fromPem(new String(data, StandardCharsets.ISO_8859_1)));
    }

    @FuzzTest(maxDuration = "30s")
    void verifier(byte[] data) {
        // Split the input into three files: the verifier must give a verdict, never throw.
        int a = data.length / 3;
        int b = 2 * data.length / 3;
        Quote quote = new Quote(Arrays.copyOfRange(data, 0, a), Arrays.copyOfRange(data, a, b),
                Arrays.copyOfRange(data, b, data.length));
        Verdict v = QuoteVerifier.create().verify(quote, Expectations.of(SEED_TPM.attestationKey(), new byte[8],
                PcrSelection.of(HashAlg.SHA256, 0), ReferenceValues.none()));
        if (v == null) {
            throw new AssertionError("no verdict");
        }
    }

    private static final SoftwareTpm SEED_TPM = SoftwareTpm.create();
}
