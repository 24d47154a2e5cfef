package dev.drawbridge.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The hand-written DER of {@link CertificateIssuer} against BouncyCastle's certificate builder, byte for byte. */
@DisplayName("certificate encoding")
class IssuerEncodingTest {
    @TempDir
    static Path dir;
    static CertificateAuthority ca;
    static CertificateIssuer issuer;
    static X509Certificate root;
    static CaSigner signer;
    static KeyPair ec;
    static KeyPair rsa;

    @BeforeAll
    static void setUp() {
        ca = Fixtures.ca(dir);
        root = ca.root();
        ec = KeyPairs.generate(KeyAlgorithm.EC_P256);
        rsa = KeyPairs.generate(KeyAlgorithm.RSA_3072);
    }

    static Stream<Arguments> requests() {
        return Stream.of(
                Arguments.of(Profile.CONSOLE_CLIENT, "console", List.of(), List.of(), false, "2026-11-23T18:00:00Z"),
                Arguments.of(Profile.NODE, "n1", List.of("n1", "n1.example.test"), List.of("192.0.2.7", "fd00::2"),
                        false, "2026-01-02T03:04:05Z"),
                Arguments.of(Profile.CONTROLLER, "ctl", List.of("ctl.test"), List.of(), true, "2049-12-31T23:59:59Z"),
                Arguments.of(Profile.NODE, "far", List.of(), List.of("10.0.0.1"), true, "2050-01-01T00:00:00Z"),
                Arguments.of(Profile.NODE, "#0c026869", List.of(), List.of(), false, "1999-06-30T12:00:00Z"),
                Arguments.of(Profile.NODE, "ünïcode näme", List.of(), List.of(), false, "2030-06-30T12:00:00Z"),
                Arguments.of(Profile.CONSOLE_CLIENT, "x".repeat(64), List.of("a".repeat(200)), List.of(), true,
                        "2030-06-30T12:00:00Z"),
                Arguments.of(Profile.CONSOLE_CLIENT, "x".repeat(65), List.of(), List.of(), false,
                        "2030-06-30T12:00:00Z"),
                Arguments.of(Profile.CONSOLE_CLIENT, "\\back", List.of(), List.of(), false, "2030-06-30T12:00:00Z"));
    }

    @ParameterizedTest(name = "{0} {1} is encoded as BouncyCastle encodes it")
    @MethodSource("requests")
    void hand_written_der_equals_bouncycastle(Profile profile, String cn, List<String> dns, List<String> ips,
                                              boolean useRsa, String at) throws Exception {
        KeyPair kp = useRsa ? rsa : ec;
        var request = new IssueRequest(profile, cn, dns, ips, kp.getPublic());
        var spki = KeyIds.info(kp.getPublic());
        var serial = new BigInteger("00ff00112233445566778899aabbccdd", 16);
        Instant notBefore = Instant.parse(at);
        Instant notAfter = notBefore.plus(CaSettings.defaults().lifetime(profile));
        byte[] signature = new byte[71];
        for (int i = 0; i < signature.length; i++) {
            signature[i] = (byte) (i * 7 + 3);
        }
        var caSigner = new CaSigner(null, root.getPublicKey());
        var issuer = new CertificateIssuer(root, caSigner, CaSettings.defaults(), Clock.systemUTC());
        Object ours;
        Object theirs;
        try {
            ours = issuer.encode(request, spki, serial, notBefore, notAfter, tbs -> signature);
        } catch (RuntimeException e) {
            ours = e.getClass() + ": " + e.getMessage();
        }
        try {
            theirs = reference(request, spki, serial, notBefore, notAfter, caSigner.algorithmId(), signature);
        } catch (RuntimeException e) {
            theirs = e.getClass() + ": " + e.getMessage();
        }

        assertThat(ours).isEqualTo(theirs);
    }

    /** The builder code CertificateIssuer used before it wrote DER itself. */
    private static byte[] reference(IssueRequest request, SubjectPublicKeyInfo spki, BigInteger serial,
                                    Instant notBefore, Instant notAfter, AlgorithmIdentifier alg, byte[] signature)
            throws Exception {
        X500Name issuer = X500Name.getInstance(root.getSubjectX500Principal().getEncoded());
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, request.commonName()).build();
        var builder = new X509v3CertificateBuilder(issuer, serial, Date.from(notBefore), Date.from(notAfter),
                subject, spki);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        boolean rsaKey = request.publicKey().getAlgorithm().equals("RSA");
        builder.addExtension(Extension.keyUsage, true,
                new KeyUsage(KeyUsage.digitalSignature | (rsaKey ? KeyUsage.keyEncipherment : 0)));
        builder.addExtension(Extension.extendedKeyUsage, false, switch (request.profile()) {
            case NODE, CONTROLLER -> new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth});
            case CONSOLE_CLIENT -> new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth);
        });
        builder.addExtension(Extension.certificatePolicies, false, new CertificatePolicies(
                new PolicyInformation(new ASN1ObjectIdentifier(request.profile().policyOid()))));
        builder.addExtension(Extension.subjectKeyIdentifier, false, KeyIds.subject(spki));
        builder.addExtension(Extension.authorityKeyIdentifier, false,
                KeyIds.authority(KeyIds.info(root.getPublicKey())));
        List<GeneralName> names = new ArrayList<>();
        request.dnsNames().forEach(d -> names.add(new GeneralName(GeneralName.dNSName, d)));
        request.ipAddresses().forEach(i -> names.add(new GeneralName(GeneralName.iPAddress, i)));
        if (!names.isEmpty()) {
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(names.toArray(GeneralName[]::new)));
        }
        return builder.build(new ContentSigner() {
            private final ByteArrayOutputStream tbs = new ByteArrayOutputStream();

            @Override
            public AlgorithmIdentifier getAlgorithmIdentifier() {
                return alg;
            }

            @Override
            public OutputStream getOutputStream() {
                return tbs;
            }

            @Override
            public byte[] getSignature() {
                return signature;
            }
        }).getEncoded();
    }
}
