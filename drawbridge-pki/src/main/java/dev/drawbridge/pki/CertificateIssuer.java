package dev.drawbridge.pki;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.Time;

/**
 * Builds and signs end-entity certificates under a profile (RFC 5280 §4.1, §4.2). Thread-safe.
 *
 * <p>The TBSCertificate is written as DER bytes directly: everything that is the same in every certificate of a
 * profile (issuer, algorithm, basicConstraints, keyUsage, extendedKeyUsage, policies, authorityKeyIdentifier) is
 * encoded once, and only the serial, validity, subject, key, key identifier and SANs are written per certificate.
 * The bytes are identical to what BouncyCastle's {@code X509v3CertificateBuilder} produced before
 * ({@code IssuerEncodingTest} compares the two); that builder cost more CPU than the signature itself.
 */
final class CertificateIssuer {
    /** Tolerates clocks up to five minutes behind ours when a peer checks notBefore. */
    private static final Duration SKEW = Duration.ofMinutes(5);
    /** [0] EXPLICIT INTEGER 2: X.509 v3. */
    private static final byte[] VERSION_3 = {(byte) 0xa0, 0x03, 0x02, 0x01, 0x02};
    private static final byte[] CN_OID = Der.of(BCStyle.CN);
    private static final byte[] SKI_OID = Der.of(Extension.subjectKeyIdentifier);
    private static final byte[] SAN_OID = Der.of(Extension.subjectAlternativeName);

    private final byte[] issuer;
    private final byte[] algorithm;
    private final byte[] authorityKeyId;
    /** basicConstraints, keyUsage, extendedKeyUsage and certificatePolicies, per profile, for EC and RSA keys. */
    private final Map<Profile, byte[]> fixedEc = new EnumMap<>(Profile.class);
    private final Map<Profile, byte[]> fixedRsa = new EnumMap<>(Profile.class);
    private final CaSigner signer;
    private final CaSettings settings;
    private final Clock clock;

    CertificateIssuer(X509Certificate root, CaSigner signer, CaSettings settings, Clock clock) {
        this.issuer = Der.of(X500Name.getInstance(root.getSubjectX500Principal().getEncoded()));
        this.algorithm = Der.of(signer.algorithmId());
        this.authorityKeyId = Der.of(new Extension(Extension.authorityKeyIdentifier, false,
                Der.of(KeyIds.authority(KeyIds.info(root.getPublicKey())))));
        for (Profile p : Profile.values()) {
            fixedEc.put(p, fixedExtensions(p, false));
            fixedRsa.put(p, fixedExtensions(p, true));
        }
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
        byte[] der = encode(request, spki, serial, notBefore, notAfter, signer::sign);
        return new IssuedCertificate(der, serial, notBefore, notAfter, Pem.encode("CERTIFICATE", der));
    }

    /** The DER certificate; {@code sign} signs the TBSCertificate bytes. Package-private for the encoding test. */
    byte[] encode(IssueRequest request, SubjectPublicKeyInfo spki, BigInteger serial, Instant notBefore,
                  Instant notAfter, UnaryOperator<byte[]> sign) {
        byte[] subject = subject(request.commonName()); // before the SANs: the builder failed in this order
        byte[] subjectAltNames = subjectAltNames(request);
        boolean rsa = request.publicKey().getAlgorithm().equals("RSA");
        byte[] extensions = Der.tlv(0xa3, Der.tlv(Der.SEQUENCE,
                (rsa ? fixedRsa : fixedEc).get(request.profile()),
                Der.tlv(Der.SEQUENCE, SKI_OID, Der.tlv(Der.OCTET_STRING, Der.of(KeyIds.subject(spki)))),
                authorityKeyId,
                subjectAltNames));
        byte[] tbs = Der.tlv(Der.SEQUENCE,
                VERSION_3,
                Der.tlv(Der.INTEGER, serial.toByteArray()),
                algorithm,
                issuer,
                Der.tlv(Der.SEQUENCE, time(notBefore), time(notAfter)),
                subject,
                Der.of(spki),
                extensions);
        byte[] signature = sign.apply(tbs);
        return Der.tlv(Der.SEQUENCE, tbs, algorithm, Der.tlv(Der.BIT_STRING, new byte[] {0}, signature));
    }

    private static byte[] fixedExtensions(Profile profile, boolean rsa) {
        // RFC 5280 §4.2.1.3 and RFC 5246 §7.4.2: RSA key exchange needs keyEncipherment; ECDHE needs none.
        KeyUsage keyUsage = new KeyUsage(KeyUsage.digitalSignature | (rsa ? KeyUsage.keyEncipherment : 0));
        ExtendedKeyUsage extendedKeyUsage = switch (profile) {
            case NODE, CONTROLLER -> new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth});
            case CONSOLE_CLIENT -> new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth);
        };
        CertificatePolicies policies = new CertificatePolicies(
                new PolicyInformation(new ASN1ObjectIdentifier(profile.policyOid())));
        return Der.concat(
                Der.of(new Extension(Extension.basicConstraints, true, Der.of(new BasicConstraints(false)))),
                Der.of(new Extension(Extension.keyUsage, true, Der.of(keyUsage))),
                Der.of(new Extension(Extension.extendedKeyUsage, false, Der.of(extendedKeyUsage))),
                Der.of(new Extension(Extension.certificatePolicies, false, Der.of(policies))));
    }

    /** BouncyCastle's {@code Time(Date)} rule (RFC 5280 §4.1.2.5): UTCTime for 1950–2049, else GeneralizedTime. */
    private static byte[] time(Instant t) {
        LocalDateTime d = LocalDateTime.ofEpochSecond(t.getEpochSecond(), 0, ZoneOffset.UTC);
        int year = d.getYear();
        if (year < 1950 || year > 2049) {
            return Der.of(new Time(Date.from(t)));
        }
        byte[] out = {Der.UTC_TIME, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'Z'};
        two(out, 2, year % 100);
        two(out, 4, d.getMonthValue());
        two(out, 6, d.getDayOfMonth());
        two(out, 8, d.getHour());
        two(out, 10, d.getMinute());
        two(out, 12, d.getSecond());
        return out;
    }

    private static void two(byte[] out, int at, int value) {
        out[at] = (byte) ('0' + value / 10);
        out[at + 1] = (byte) ('0' + value % 10);
    }

    /**
     * CN as a UTF8String, as BCStyle writes it. Anything unusual (non-ASCII, the '#' hex form, longer than the
     * 64-character ub-common-name that BCStyle refuses) goes through BCStyle itself, so it fails the same way.
     */
    private static byte[] subject(String commonName) {
        boolean plain = commonName.length() <= 64 && commonName.charAt(0) != '#' && commonName.charAt(0) != '\\';
        for (int i = 0; plain && i < commonName.length(); i++) {
            plain = commonName.charAt(i) < 0x80;
        }
        if (!plain) {
            return Der.of(new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build());
        }
        return Der.tlv(Der.SEQUENCE, Der.tlv(Der.SET, Der.tlv(Der.SEQUENCE, CN_OID,
                Der.ascii(Der.UTF8_STRING, commonName))));
    }

    /** The subjectAltName extension, or no bytes when there are no names. */
    private static byte[] subjectAltNames(IssueRequest request) {
        int count = request.dnsNames().size() + request.ipAddresses().size();
        if (count == 0) {
            return new byte[0];
        }
        byte[][] names = new byte[count][];
        int i = 0;
        for (String dns : request.dnsNames()) {
            if (dns.isEmpty() || !dns.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new PkiException("'" + dns + "' is not a DNS name (RFC 5280 §4.2.1.6 needs ASCII)");
            }
            names[i++] = Der.ascii(0x82, dns); // dNSName [2] IMPLICIT IA5String
        }
        for (String ip : request.ipAddresses()) {
            try {
                if (ip.contains("/")) {
                    throw new IllegalArgumentException("a network, not an address");
                }
                // parses the literal; never resolves DNS
                names[i++] = Der.of(new GeneralName(GeneralName.iPAddress, ip));
            } catch (IllegalArgumentException e) {
                throw new PkiException("'" + ip + "' is not an IPv4 or IPv6 address");
            }
        }
        return Der.tlv(Der.SEQUENCE, SAN_OID, Der.tlv(Der.OCTET_STRING, Der.tlv(Der.SEQUENCE, names)));
    }
}
