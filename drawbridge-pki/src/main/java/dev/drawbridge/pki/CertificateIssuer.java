package dev.drawbridge.pki;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;

/** Builds and signs end-entity certificates under a profile (RFC 5280 §4.1, §4.2). Thread-safe. */
final class CertificateIssuer {
    /** Tolerates clocks up to five minutes behind ours when a peer checks notBefore. */
    private static final Duration SKEW = Duration.ofMinutes(5);

    private final X500Name issuer;
    private final AuthorityKeyIdentifier authorityKeyId;
    private final CaSigner signer;
    private final CaSettings settings;
    private final Clock clock;

    CertificateIssuer(X509Certificate root, CaSigner signer, CaSettings settings, Clock clock) {
        this.issuer = X500Name.getInstance(root.getSubjectX500Principal().getEncoded());
        this.authorityKeyId = KeyIds.authority(KeyIds.info(root.getPublicKey()));
        this.signer = signer;
        this.settings = settings;
        this.clock = clock;
    }

    IssuedCertificate issue(IssueRequest request) {
        if (request.commonName().isBlank()) {
            throw new PkiException("a certificate needs a subject common name");
        }
        SubjectPublicKeyInfo spki = KeyIds.info(request.publicKey());
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant notBefore = now.minus(SKEW);
        Instant notAfter = now.plus(settings.lifetime(request.profile()));
        var serial = Serials.next();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, request.commonName()).build();
        var builder = new X509v3CertificateBuilder(issuer, serial, Date.from(notBefore), Date.from(notAfter),
                subject, spki);
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, keyUsage(request));
            builder.addExtension(Extension.extendedKeyUsage, false, extendedKeyUsage(request.profile()));
            builder.addExtension(Extension.certificatePolicies, false, new org.bouncycastle.asn1.x509.CertificatePolicies(
                    new org.bouncycastle.asn1.x509.PolicyInformation(
                            new org.bouncycastle.asn1.ASN1ObjectIdentifier(request.profile().policyOid()))));
            builder.addExtension(Extension.subjectKeyIdentifier, false, KeyIds.subject(spki));
            builder.addExtension(Extension.authorityKeyIdentifier, false, authorityKeyId);
            List<GeneralName> names = subjectAltNames(request);
            if (!names.isEmpty()) {
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(names.toArray(GeneralName[]::new)));
            }
            byte[] der = builder.build(signer.contentSigner()).getEncoded();
            X509Certificate certificate = Pem.certificate(der);
            return new IssuedCertificate(certificate, serial, notBefore, notAfter, Pem.encode("CERTIFICATE", der));
        } catch (IOException e) {
            throw new PkiException("cannot encode certificate for " + request.commonName(), e);
        }
    }

    /** RFC 5280 §4.2.1.3 and RFC 5246 §7.4.2: RSA key exchange needs keyEncipherment; ECDHE needs none. */
    private static KeyUsage keyUsage(IssueRequest request) {
        boolean rsa = request.publicKey().getAlgorithm().equals("RSA");
        return new KeyUsage(KeyUsage.digitalSignature | (rsa ? KeyUsage.keyEncipherment : 0));
    }

    private static ExtendedKeyUsage extendedKeyUsage(Profile profile) {
        return switch (profile) {
            case NODE, CONTROLLER -> new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth});
            case CONSOLE_CLIENT -> new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth);
        };
    }

    private static List<GeneralName> subjectAltNames(IssueRequest request) {
        List<GeneralName> names = new ArrayList<>();
        for (String dns : request.dnsNames()) {
            if (dns.isEmpty() || !dns.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new PkiException("'" + dns + "' is not a DNS name (RFC 5280 §4.2.1.6 needs ASCII)");
            }
            names.add(new GeneralName(GeneralName.dNSName, dns));
        }
        for (String ip : request.ipAddresses()) {
            try {
                if (ip.contains("/")) {
                    throw new IllegalArgumentException("a network, not an address");
                }
                names.add(new GeneralName(GeneralName.iPAddress, ip)); // parses the literal; never resolves DNS
            } catch (IllegalArgumentException e) {
                throw new PkiException("'" + ip + "' is not an IPv4 or IPv6 address");
            }
        }
        return names;
    }
}
