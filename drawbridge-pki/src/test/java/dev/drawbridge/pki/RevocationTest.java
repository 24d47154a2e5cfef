package dev.drawbridge.pki;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.testkit.OpenSsl;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.util.BigIntegers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("CRL and OCSP, checked by openssl")
class RevocationTest {
    @TempDir
    static Path dir;
    static CertificateAuthority ca;
    static IssuedCertificate cert;
    static final Map<BigInteger, CertStatus> statuses = new ConcurrentHashMap<>();

    @BeforeAll
    static void setUp() {
        ca = Fixtures.ca(dir);
        CsrRequest csr = ca.parseCsr(Fixtures.opensslCsr(dir, "node", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256"));
        cert = ca.issue(new IssueRequest(Profile.NODE, "node", List.of("node.test"), List.of(), csr.publicKey()));
        Fixtures.write(dir.resolve("cert.pem"), cert.pem());
    }

    @Test
    void crl_lists_a_revoked_serial_and_makes_openssl_verify_fail() throws Exception {
        Instant revokedAt = Instant.parse("2026-01-02T03:04:05Z");
        byte[] der = ca.crl(List.of(new RevokedSerial(cert.serial(), revokedAt, 1)), 7, Instant.now(),
                Duration.ofHours(6));
        Fixtures.write(dir.resolve("crl.der"), der);

        String text = OpenSsl.runOk(dir, "crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "root.pem",
                "-noout", "-text").stdout();
        OpenSsl.Result check = OpenSsl.run(dir, "crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "root.pem",
                "-noout");
        assertThat(check.stderr() + check.stdout()).contains("verify OK");
        assertThat(text).contains("Serial Number: " + HexFormat.of().withUpperCase()
                        .formatHex(BigIntegers.asUnsignedByteArray(cert.serial())),
                "Key Compromise", "X509v3 CRL Number", "X509v3 Authority Key Identifier", "Version 2");
        assertThat(text).containsPattern("CRL Number:\\s+7");

        OpenSsl.runOk(dir, "crl", "-inform", "DER", "-in", "crl.der", "-out", "crl.pem");
        OpenSsl.Result verify = OpenSsl.run(dir, "verify", "-crl_check", "-CAfile", "root.pem", "-CRLfile",
                "crl.pem", "cert.pem");
        assertThat(verify.exitCode()).isNotZero();
        assertThat(verify.stdout() + verify.stderr()).contains("certificate revoked");

        X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509")
                .generateCRL(new ByteArrayInputStream(der));
        crl.verify(ca.root().getPublicKey());
        assertThat(crl.getRevokedCertificate(cert.serial()).getRevocationDate().toInstant()).isEqualTo(revokedAt);
    }

    @Test
    void an_empty_crl_lets_the_certificate_verify() {
        Fixtures.write(dir.resolve("empty.der"), ca.crl(List.of(), 1, Instant.now(), Duration.ofHours(1)));
        OpenSsl.runOk(dir, "crl", "-inform", "DER", "-in", "empty.der", "-out", "empty.pem");
        OpenSsl.runOk(dir, "verify", "-crl_check", "-CAfile", "root.pem", "-CRLfile", "empty.pem", "cert.pem");
    }

    @Test
    void ocsp_answers_good_then_revoked_to_an_openssl_request() throws Exception {
        OpenSsl.runOk(dir, "ocsp", "-issuer", "root.pem", "-cert", "cert.pem", "-reqout", "req.der");
        byte[] request = read("req.der");

        statuses.put(cert.serial(), new CertStatus.Good());
        Fixtures.write(dir.resolve("good.der"), ca.ocsp(request, this::lookup));
        String good = respText("good.der");
        assertThat(nonceEchoed(request, read("good.der"))).isTrue();
        assertThat(good).contains("cert.pem: good", "Response verify OK", "OCSP Nonce")
                .doesNotContain("revoked");

        statuses.put(cert.serial(), new CertStatus.Revoked(Instant.parse("2026-02-03T04:05:06Z"), 4));
        Fixtures.write(dir.resolve("revoked.der"), ca.ocsp(request, this::lookup));
        String revoked = respText("revoked.der");
        assertThat(revoked).contains("cert.pem: revoked", "Reason: superseded", "Response verify OK",
                "Revocation Time: Feb  3 04:05:06 2026 GMT");
    }

    @Test
    void ocsp_echoes_the_nonce_and_uses_sha256_cert_ids() throws Exception {
        OpenSsl.runOk(dir, "ocsp", "-issuer", "root.pem", "-sha256", "-cert", "cert.pem", "-nonce",
                "-reqout", "req256.der");
        statuses.put(cert.serial(), new CertStatus.Good());
        Fixtures.write(dir.resolve("resp256.der"), ca.ocsp(read("req256.der"), this::lookup));

        String text = respText("resp256.der", "-sha256");
        assertThat(text).contains("cert.pem: good", "Response verify OK", "Hash Algorithm: sha256");
        assertThat(nonceEchoed(read("req256.der"), read(dir.resolve("resp256.der")))).isTrue();
    }

    private static boolean nonceEchoed(byte[] request, byte[] response) throws Exception {
        var nonceId = OCSPObjectIdentifiers.id_pkix_ocsp_nonce;
        var sent = new OCSPReq(request).getExtension(nonceId);
        var basic = (BasicOCSPResp)
                new OCSPResp(response).getResponseObject();
        return sent != null && sent.equals(basic.getExtension(nonceId));
    }

    @Test
    void ocsp_answers_unknown_for_another_issuers_certificate(@TempDir Path other) {
        CertificateAuthority stranger = Fixtures.ca(other);
        CsrRequest csr = stranger.parseCsr(Fixtures.opensslCsr(other, "x", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256"));
        Fixtures.write(other.resolve("x.pem"), stranger.issue(new IssueRequest(Profile.NODE, "x", List.of(),
                List.of(), csr.publicKey())).pem());
        OpenSsl.runOk(other, "ocsp", "-issuer", "root.pem", "-cert", "x.pem", "-reqout", "req.der");
        statuses.put(cert.serial(), new CertStatus.Good());

        Fixtures.write(dir.resolve("stranger.der"), ca.ocsp(read(other.resolve("req.der")), s -> new CertStatus.Good()));
        String text = OpenSsl.run(dir, "ocsp", "-respin", "stranger.der", "-resp_text", "-noverify").stdout();
        assertThat(text).contains("Cert Status: unknown");
    }

    private String respText(String file) {
        return respText(file, "-sha1");
    }

    private String respText(String file, String certIdDigest) {
        // With -respin, openssl builds a fresh request from -cert with a fresh nonce, which no saved response
        // can echo: -no_nonce leaves the nonce out of that comparison (nonceEchoed checks it instead).
        OpenSsl.Result r = OpenSsl.runOk(dir, "ocsp", "-no_nonce", "-respin", file, "-issuer", "root.pem", "-CAfile", "root.pem",
                certIdDigest, "-cert", "cert.pem", "-resp_text");
        return r.stdout() + r.stderr();
    }

    private CertStatus lookup(BigInteger serial) {
        return statuses.getOrDefault(serial, new CertStatus.Unknown());
    }

    private static byte[] read(String name) {
        return read(dir.resolve(name));
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
