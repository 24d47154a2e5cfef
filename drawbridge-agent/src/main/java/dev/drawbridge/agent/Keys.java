package dev.drawbridge.agent;

import dev.drawbridge.pki.Pem;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Key pairs, the pre-enrollment self-signed certificate and the enrollment CSR, all EC P-256. */
final class Keys {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Keys() {}

    static KeyPair generate() {
        try {
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
            kpg.initialize(new ECGenParameterSpec("secp256r1"));
            return kpg.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new AgentException("cannot generate an EC P-256 key", e);
        }
    }

    /** A certificate nobody is asked to trust: the conductor pins its key only after the ticket proof. */
    static X509Certificate selfSigned(KeyPair keys, String nodeName) {
        Instant now = Instant.now();
        X500Name subject = subject(nodeName);
        try {
            var builder = new JcaX509v3CertificateBuilder(subject, new BigInteger(127, RANDOM),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(365))),
                    subject, keys.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, sans(nodeName));
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer(keys)));
        } catch (GeneralSecurityException | IOException e) {
            throw new AgentException("cannot make the self-signed TLS certificate", e);
        }
    }

    /** PKCS#10 with CN and one DNS SAN of the node name; the CA takes only the key and checks the rest. */
    static String csr(KeyPair keys, String nodeName) {
        try {
            var builder = new JcaPKCS10CertificationRequestBuilder(subject(nodeName), keys.getPublic());
            Extensions extensions = new Extensions(new Extension(Extension.subjectAlternativeName, false,
                    sans(nodeName).getEncoded()));
            builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions);
            return Pem.encode("CERTIFICATE REQUEST", builder.build(signer(keys)).getEncoded());
        } catch (IOException e) {
            throw new AgentException("cannot make the CSR", e);
        }
    }

    private static X500Name subject(String nodeName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, nodeName).build();
    }

    private static GeneralNames sans(String nodeName) {
        return new GeneralNames(new GeneralName(GeneralName.dNSName, nodeName));
    }

    private static ContentSigner signer(KeyPair keys) {
        try {
            return new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate());
        } catch (OperatorCreationException e) {
            throw new AgentException("cannot sign with the node key", e);
        }
    }
}
