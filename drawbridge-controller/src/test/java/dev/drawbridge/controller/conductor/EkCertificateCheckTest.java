package dev.drawbridge.controller.conductor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.controller.verify.QuoteJudge;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.protocol.AkResult;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The EK certificate check at enrollment, against configured manufacturer CAs. */
class EkCertificateCheckTest {
    private static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static X509Certificate cert(String subject, KeyPair subjectKey, String issuer, KeyPair issuerKey, boolean ca)
            throws Exception {
        Instant now = Instant.now();
        var b = new JcaX509v3CertificateBuilder(new X500Name("CN=" + issuer), BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(1, ChronoUnit.DAYS)), Date.from(now.plus(365, ChronoUnit.DAYS)),
                new X500Name("CN=" + subject), subjectKey.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (!ca) {
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    KeyPurposeId.getInstance(new ASN1ObjectIdentifier("2.23.133.8.1"))));
        }
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA")
                .build(issuerKey.getPrivate())));
    }

    private static String pem(PublicKey k) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(k.getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    private static AkResult result(X509Certificate ek, PublicKey ekKey) throws Exception {
        return new AkResult("QUs=", "UU4=", Optional.of(pem(ekKey)),
                Optional.of(Base64.getEncoder().encodeToString(ek.getEncoded())));
    }

    @Test
    @DisplayName("an EK certificate from the configured manufacturer passes; another CA's, or one for another key, is rejected")
    void ekCertificateMustChainToManufacturerAndCertifyTheEk() throws Exception {
        KeyPair root = rsa();
        KeyPair other = rsa();
        KeyPair ek = rsa();
        X509Certificate rootCert = cert("maker root", root, "maker root", root, true);
        X509Certificate ekCert = cert("unknown", ek, "maker root", root, false);
        X509Certificate foreign = cert("unknown", ek, "other root", other, false);
        Phases phases = new Phases(null, (n, t) -> Optional.empty(), new QuoteJudge(), List.of(rootCert));

        assertThat(phases.ekCertificateProblem(result(ekCert, ek.getPublic()))).isEmpty();
        assertThat(phases.ekCertificateProblem(result(foreign, ek.getPublic()))).hasValueSatisfying(p ->
                assertThat(p).contains("CHAIN_DOES_NOT_BUILD"));
        assertThat(phases.ekCertificateProblem(result(ekCert, rsa().getPublic()))).hasValueSatisfying(p ->
                assertThat(p).contains("KEY_MISMATCH"));
        assertThat(new Phases(null, (n, t) -> Optional.empty(), new QuoteJudge(), List.of())
                .ekCertificateProblem(result(foreign, ek.getPublic()))).as("no CAs configured: unchecked").isEmpty();
        assertThat(Pem.certificate(ekCert.getEncoded()).getSubjectX500Principal().getName()).isEqualTo("CN=unknown");
    }
}
