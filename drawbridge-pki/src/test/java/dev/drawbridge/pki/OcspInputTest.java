package dev.drawbridge.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Base64;
import java.util.Random;
import java.util.stream.Stream;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class OcspInputTest {
    @TempDir
    static Path dir;
    static CertificateAuthority ca;

    @BeforeAll
    static void setUp() {
        ca = Fixtures.ca(dir);
    }

    static Stream<Arguments> malformed() throws Exception {
        return Stream.of(
                Arguments.of("empty", new byte[0]),
                Arguments.of("garbage", "hello".getBytes()),
                Arguments.of("a certificate", ca.root().getEncoded()),
                Arguments.of("an empty sequence", new byte[] {0x30, 0x00}),
                Arguments.of("huge", new byte[1_000_000]));
    }

    @ParameterizedTest(name = "{0} input gets a malformedRequest response")
    @MethodSource("malformed")
    void malformed_request_gets_malformed_response(String what, byte[] input) throws Exception {
        OCSPResp response = new OCSPResp(ca.ocsp(input, s -> new CertStatus.Good()));
        assertThat(response.getStatus()).isEqualTo(1); // RFC 6960 §4.2.1 malformedRequest
    }

    @Test
    void random_bytes_never_throw() throws Exception {
        Random random = new Random(7);
        for (int i = 0; i < 2_000; i++) {
            byte[] input = new byte[random.nextInt(300)];
            random.nextBytes(input);
            if (input.length > 0) {
                input[0] = 0x30;
            }
            assertThat(new OCSPResp(ca.ocsp(input, s -> new CertStatus.Good())).getStatus()).isEqualTo(1);
        }
    }

    @Test
    void get_path_decodes_url_encoded_base64() {
        byte[] der = {0x30, 0x03, 0x02, 0x01, (byte) 0xfb, (byte) 0xff};
        String encoded = Base64.getEncoder().encodeToString(der).replace("+", "%2B").replace("/", "%2F")
                .replace("=", "%3D");
        assertThat(CertificateAuthority.ocspRequestFromGetPath(encoded)).isEqualTo(der);
        assertThat(CertificateAuthority.ocspRequestFromGetPath(Base64.getEncoder().encodeToString(der)))
                .isEqualTo(der);
        assertThat(CertificateAuthority.ocspRequestFromGetPath(Base64.getUrlEncoder().encodeToString(der)))
                .isEqualTo(der);
    }

    @ParameterizedTest(name = "GET path \"{0}\" is refused")
    @ValueSource(strings = {"", "%zz", "abc%2", "not base64!", "é"})
    void bad_get_path_is_refused(String segment) {
        assertThatThrownBy(() -> CertificateAuthority.ocspRequestFromGetPath(segment))
                .isInstanceOf(BadOcspRequest.class);
    }
}
