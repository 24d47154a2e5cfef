package dev.drawbridge.pki;

import java.io.IOException;
import java.security.KeyPair;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;

/** Builds the self-signed root certificate for a freshly generated CA key (RFC 5280 §4.2.1.9, §4.2.1.3). */
final class RootCertificates {
    private RootCertificates() {}

    static CaKeyStore.RootFactory factory(CaSettings settings, Clock clock) {
        return (keyPair, provider) -> selfSign(keyPair, provider, settings, clock);
    }

    static X509Certificate selfSign(KeyPair keyPair, Provider provider, CaSettings settings, Clock clock) {
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.CN, settings.rootCommonName()).build();
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        SubjectPublicKeyInfo spki = KeyIds.info(keyPair.getPublic());
        var builder = new X509v3CertificateBuilder(subject, Serials.next(),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(settings.rootLifetime())),
                subject, spki);
        try {
            // pathLen 0: this CA signs end-entity certificates only, never another CA.
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            // digitalSignature as well, because the CA key signs OCSP responses itself (RFC 6960 §4.2.2.2).
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            builder.addExtension(Extension.subjectKeyIdentifier, false, KeyIds.subject(spki));
            CaSigner signer = new CaSigner(keyPair.getPrivate(), keyPair.getPublic(), provider);
            return Pem.certificate(builder.build(signer.contentSigner()).getEncoded());
        } catch (IOException e) {
            throw new PkiException("cannot build root certificate", e);
        }
    }
}
