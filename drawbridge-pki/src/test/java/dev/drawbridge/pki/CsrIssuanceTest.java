package dev.drawbridge.pki;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.testkit.OpenSsl;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("CSRs made by openssl")
class CsrIssuanceTest {
    @TempDir
    static Path dir;
    static CertificateAuthority ca;

    @BeforeAll
    static void setUp() {
        ca = Fixtures.ca(dir);
    }

    @ParameterizedTest(name = "a {0} CSR is parsed, issued and the certificate passes openssl verify")
    @CsvSource({
        "ec-p256, -newkey, ec, -pkeyopt, ec_paramgen_curve:P-256",
        "ec-p384, -newkey, ec, -pkeyopt, ec_paramgen_curve:P-384",
        "rsa-2048, -newkey, rsa:2048, -pkeyopt, rsa_keygen_pubexp:65537",
    })
    void openssl_csr_is_issued_and_verifies(String name, String a, String b, String c, String d) {
        CsrRequest csr = ca.parseCsr(Fixtures.opensslCsr(dir, name, a, b, c, d));

        assertThat(csr.subjectCommonName()).isEqualTo(name);
        assertThat(csr.dnsNames()).containsExactly(name + ".example.test");
        assertThat(csr.ipAddresses()).containsExactly("10.1.2.3", "fd00:0:0:0:0:0:0:1");

        IssuedCertificate issued = ca.issue(new IssueRequest(Profile.NODE, "node-" + name,
                List.of("node.example.test"), List.of("192.0.2.7", "fd00::2"), csr.publicKey()));
        Fixtures.write(dir.resolve(name + ".pem"), issued.pem());

        OpenSsl.Result verify = OpenSsl.runOk(dir, "verify", "-CAfile", "root.pem", "-purpose", "sslserver",
                name + ".pem");
        assertThat(verify.stdout()).contains(name + ".pem: OK");
        OpenSsl.runOk(dir, "verify", "-CAfile", "root.pem", "-purpose", "sslclient", name + ".pem");
        String text = OpenSsl.runOk(dir, "x509", "-in", name + ".pem", "-noout", "-text").stdout();
        assertThat(text).contains("Subject: CN = node-" + name, "DNS:node.example.test", "IP Address:192.0.2.7",
                "IP Address:FD00:0:0:0:0:0:0:2", "CA:FALSE", "TLS Web Server Authentication",
                "TLS Web Client Authentication", "X509v3 Subject Key Identifier",
                "X509v3 Authority Key Identifier");
        assertThat(text.contains("Key Encipherment")).isEqualTo(name.startsWith("rsa"));
    }

    @Test
    void issued_certificate_has_random_positive_serial_profile_lifetime_and_five_minutes_of_skew() throws Exception {
        CsrRequest csr = ca.parseCsr(Fixtures.opensslCsr(dir, "console", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256"));

        IssuedCertificate issued = ca.issue(new IssueRequest(Profile.CONSOLE_CLIENT, "console", List.of(),
                List.of(), csr.publicKey()));

        X509Certificate cert = issued.certificate();
        assertThat(issued.serial().signum()).isPositive();
        assertThat(issued.serial().bitLength()).isBetween(100, 128);
        assertThat(cert.getSerialNumber()).isEqualTo(issued.serial());
        assertThat(cert.getVersion()).isEqualTo(3);
        assertThat(cert.getIssuerX500Principal()).isEqualTo(ca.root().getSubjectX500Principal());
        assertThat(Duration.between(issued.notBefore(), issued.notAfter()))
                .isEqualTo(Duration.ofDays(30).plusMinutes(5));
        assertThat(cert.getNotBefore().toInstant()).isEqualTo(issued.notBefore());
        assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        assertThat(cert.getBasicConstraints()).isEqualTo(-1);
        assertThat(cert.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
        assertThat(cert.getSigAlgName()).isEqualTo("SHA256withECDSA");
        cert.verify(ca.root().getPublicKey());
    }

    @Test
    void root_is_a_self_signed_ca_certificate_openssl_accepts() {
        X509Certificate root = ca.root();
        assertThat(root.getSubjectX500Principal().getName()).isEqualTo("CN=Drawbridge Root CA");
        assertThat(root.getBasicConstraints()).isEqualTo(0);
        assertThat(Pem.certificate(ca.rootPem())).isEqualTo(root);
        OpenSsl.runOk(dir, "verify", "-CAfile", "root.pem", "root.pem");
    }

    @Test
    void a_p384_ca_signs_with_sha384(@TempDir Path other) {
        CertificateAuthority p384 = Fixtures.ca(other, CaSettings.defaults().withAlgorithm(KeyAlgorithm.EC_P384));
        CsrRequest csr = ca.parseCsr(Fixtures.opensslCsr(other, "n384", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256"));

        IssuedCertificate issued = p384.issue(new IssueRequest(Profile.CONTROLLER, "ctl", List.of("ctl.test"),
                List.of(), csr.publicKey()));

        assertThat(p384.root().getSigAlgName()).isEqualTo("SHA384withECDSA");
        assertThat(issued.certificate().getSigAlgName()).isEqualTo("SHA384withECDSA");
        Fixtures.write(other.resolve("ctl.pem"), issued.pem());
        OpenSsl.runOk(other, "verify", "-CAfile", "root.pem", "ctl.pem");
    }
}
