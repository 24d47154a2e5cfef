package dev.drawbridge.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.drawbridge.pki.CsrRejected.Reason;
import dev.drawbridge.testkit.OpenSsl;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("CSRs that are refused")
class CsrRejectionTest {
    @TempDir
    static Path dir;
    static CertificateAuthority ca;
    static String goodCsr;

    @BeforeAll
    static void setUp() {
        ca = Fixtures.ca(dir);
        goodCsr = Fixtures.opensslCsr(dir, "good", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256");
    }

    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of("an RSA-1024 key", (Function<Path, String>) d -> Fixtures.opensslCsr(d, "rsa1024",
                        "-newkey", "rsa:1024"), Reason.WEAK_KEY, "1024 bits"),
                Arguments.of("a secp256k1 key", (Function<Path, String>) d -> {
                    OpenSsl.runOk(d, "ecparam", "-name", "secp256k1", "-genkey", "-noout", "-out", "k1.key");
                    OpenSsl.runOk(d, "req", "-new", "-key", "k1.key", "-subj", "/CN=k1", "-out", "k1.csr");
                    return Fixtures.read(d.resolve("k1.csr"));
                }, Reason.UNSUPPORTED_KEY, "secp256k1"),
                Arguments.of("an Ed25519 key", (Function<Path, String>) d -> Fixtures.opensslCsr(d, "ed",
                        "-newkey", "ed25519"), Reason.UNSUPPORTED_KEY, "not supported"),
                Arguments.of("a flipped signature byte", (Function<Path, String>) d -> flipLastByte(goodCsr),
                        Reason.BAD_SIGNATURE, "does not verify"),
                Arguments.of("garbage PEM", (Function<Path, String>) d ->
                        "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----\n",
                        Reason.MALFORMED, "PKCS#10"),
                Arguments.of("empty input", (Function<Path, String>) d -> "", Reason.MALFORMED, "no PEM block"),
                Arguments.of("a certificate instead of a CSR", (Function<Path, String>) d -> ca.rootPem(),
                        Reason.MALFORMED, "not a CERTIFICATE REQUEST"),
                Arguments.of("two CSR blocks", (Function<Path, String>) d -> goodCsr + goodCsr,
                        Reason.MALFORMED, "found 2"),
                Arguments.of("truncated base64", (Function<Path, String>) d -> truncate(goodCsr),
                        Reason.MALFORMED, ""),
                Arguments.of("huge input", (Function<Path, String>) d -> "A".repeat(10_000_000),
                        Reason.MALFORMED, "too long"));
    }

    @ParameterizedTest(name = "a CSR with {0} is refused as {2}")
    @MethodSource("refusals")
    void csr_is_refused(String what, Function<Path, String> csr, Reason reason, String message) {
        String pem = csr.apply(dir);
        assertThatThrownBy(() -> ca.parseCsr(pem))
                .isInstanceOfSatisfying(CsrRejected.class, e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageContaining(message);
    }

    @Test
    void random_and_mutated_input_only_ever_throws_csr_rejected() {
        byte[] der = Base64.getMimeDecoder().decode(goodCsr.replaceAll("-----[A-Z ]+-----", ""));
        Random random = new Random(42);
        for (int i = 0; i < 5_000; i++) {
            byte[] input = i % 2 == 0 ? der.clone() : new byte[random.nextInt(600)];
            if (i % 2 == 0) {
                for (int n = random.nextInt(4); n >= 0; n--) {
                    input[random.nextInt(input.length)] = (byte) random.nextInt(256);
                }
                input = Arrays.copyOf(input, random.nextInt(input.length + 1));
            } else {
                random.nextBytes(input);
            }
            byte[] candidate = input;
            Throwable thrown = catchThrowable(() -> ca.parseCsr(candidate));
            if (thrown != null) {
                assertThat(thrown).isInstanceOf(CsrRejected.class);
            }
        }
    }

    private static String flipLastByte(String pem) {
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        der[der.length - 1] ^= 0x01;
        return Pem.encode("CERTIFICATE REQUEST", der);
    }

    private static String truncate(String pem) {
        String body = pem.replaceAll("-----[A-Z ]+-----", "").strip();
        return "-----BEGIN CERTIFICATE REQUEST-----\n" + body.substring(0, body.length() / 2 + 1)
                + "\n-----END CERTIFICATE REQUEST-----\n";
    }
}
