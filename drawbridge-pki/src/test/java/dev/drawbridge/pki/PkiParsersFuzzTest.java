package dev.drawbridge.pki;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CA's parsers of outside input (CSRs in DER and PEM, OCSP requests in DER and GET paths) either parse or reject
 * with their own named exception; the OCSP responder always answers. In a normal test run Jazzer replays the seeds
 * under {@code PkiParsersFuzzTestInputs/<method>/}; {@code scripts/fuzz} runs each target for a set time.
 */
class PkiParsersFuzzTest {
    private static final CertificateAuthority CA = ca();

    private static CertificateAuthority ca() {
        try {
            Path dir = Files.createTempDirectory("pki-fuzz");
            return CertificateAuthority.open(CaKeyStores.pkcs12(dir.resolve("ca.p12"), "pw".toCharArray()),
                    CaSettings.defaults());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void csrDer(byte[] data) {
        try {
            CsrParser.parse(data);
        } catch (CsrRejected expected) {
            // a named rejection
        }
    }

    @FuzzTest(maxDuration = "30s")
    void csrPem(byte[] data) {
        try {
            CsrParser.parse(new String(data, StandardCharsets.ISO_8859_1));
        } catch (CsrRejected expected) {
            // a named rejection
        }
    }

    @FuzzTest(maxDuration = "30s")
    void ocspRequest(byte[] data) {
        byte[] answer = CA.ocsp(data, serial -> new CertStatus.Good());
        if (answer == null || answer.length == 0) {
            throw new AssertionError("the OCSP responder gave no answer");
        }
    }

    @FuzzTest(maxDuration = "30s")
    void ocspGetPath(byte[] data) {
        try {
            CertificateAuthority.ocspRequestFromGetPath(new String(data, StandardCharsets.ISO_8859_1));
        } catch (BadOcspRequest expected) {
            // a named rejection
        }
    }

    @FuzzTest(maxDuration = "30s")
    void pemCertificates(byte[] data) {
        try {
            Pem.certificates(new String(data, StandardCharsets.ISO_8859_1));
        } catch (PkiException expected) {
            // a named rejection
        }
    }
}
