package dev.drawbridge.pki;

import dev.drawbridge.pki.CsrRejected.Reason;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * Parses and checks PKCS#10 requests (RFC 2986). Everything that can go wrong with outside input ends as a
 * {@link CsrRejected}; nothing else escapes, because the caller maps it straight to a 400 answer.
 *
 * <p>The signature is checked with pooled {@link Signature} objects (and the key decoded with pooled
 * {@link KeyFactory} objects) from the same providers BouncyCastle's JCA helpers would pick: building a
 * {@code JcaContentVerifierProviderBuilder} and looking up a provider for every request cost more than the
 * verification. RSASSA-PSS, whose parameters travel in the algorithm identifier, still goes through BouncyCastle.
 */
final class CsrParser {
    /** Far above any honest CSR (an RSA-8192 request with many SANs is a few KiB); bounds parse work. */
    static final int MAX_DER = 32 * 1024;

    /** JCA names of the accepted signature algorithms that take no parameters (see {@link CsrPolicy}). */
    private static final Map<ASN1ObjectIdentifier, String> SIGNATURES = Map.of(
            X9ObjectIdentifiers.ecdsa_with_SHA256, "SHA256withECDSA",
            X9ObjectIdentifiers.ecdsa_with_SHA384, "SHA384withECDSA",
            X9ObjectIdentifiers.ecdsa_with_SHA512, "SHA512withECDSA",
            PKCSObjectIdentifiers.sha256WithRSAEncryption, "SHA256withRSA",
            PKCSObjectIdentifiers.sha384WithRSAEncryption, "SHA384withRSA",
            PKCSObjectIdentifiers.sha512WithRSAEncryption, "SHA512withRSA");
    /** Key algorithm names for the key types {@link CsrPolicy} accepts, as BouncyCastle falls back to them. */
    private static final Map<ASN1ObjectIdentifier, String> KEYS = Map.of(
            X9ObjectIdentifiers.id_ecPublicKey, "EC", PKCSObjectIdentifiers.rsaEncryption, "RSA");
    private static final Map<String, ConcurrentLinkedQueue<Signature>> VERIFIERS = new ConcurrentHashMap<>();
    private static final Map<ASN1ObjectIdentifier, ConcurrentLinkedQueue<KeyFactory>> KEY_FACTORIES =
            new ConcurrentHashMap<>();

    private CsrParser() {}

    static CsrRequest parse(String pem) {
        if (pem.length() > MAX_DER * 2) {
            throw new CsrRejected(Reason.MALFORMED, "CSR text of " + pem.length() + " characters is too long");
        }
        List<Pem.Block> blocks;
        try {
            blocks = Pem.blocks(pem);
        } catch (PkiException e) {
            throw new CsrRejected(Reason.MALFORMED, "CSR PEM is broken: " + e.getMessage());
        }
        if (blocks.size() != 1) {
            throw new CsrRejected(Reason.MALFORMED, blocks.isEmpty()
                    ? "no PEM block found: expected -----BEGIN CERTIFICATE REQUEST-----"
                    : "expected one PEM block, found " + blocks.size());
        }
        Pem.Block block = blocks.getFirst();
        // RFC 7468 §7: "NEW CERTIFICATE REQUEST" is an older label some tools still write.
        if (!block.label().equals("CERTIFICATE REQUEST") && !block.label().equals("NEW CERTIFICATE REQUEST")) {
            throw new CsrRejected(Reason.MALFORMED, "PEM block is a " + block.label() + ", not a CERTIFICATE REQUEST");
        }
        return parse(block.der());
    }

    static CsrRequest parse(byte[] der) {
        if (der.length == 0 || der.length > MAX_DER) {
            throw new CsrRejected(Reason.MALFORMED, "CSR of " + der.length + " bytes: expected 1 to " + MAX_DER);
        }
        PKCS10CertificationRequest request = decode(der);
        try {
            CsrPolicy.checkKey(request.getSubjectPublicKeyInfo());
            CsrPolicy.checkSignatureAlgorithm(request.getSignatureAlgorithm());
            PublicKey key = publicKey(request);
            verify(request, key);
            List<String> dns = new ArrayList<>();
            List<String> ips = new ArrayList<>();
            List<String> others = new ArrayList<>();
            readSubjectAltNames(request, dns, ips, others);
            return new CsrRequest(commonName(request), dns, ips, others, key, der.clone());
        } catch (CsrRejected e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            // BouncyCastle may parse nested parts lazily, so structural faults can surface here too.
            throw new CsrRejected(Reason.MALFORMED, "CSR structure is broken: " + e.getMessage());
        }
    }

    private static PKCS10CertificationRequest decode(byte[] der) {
        try {
            return new PKCS10CertificationRequest(der);
        } catch (IOException | RuntimeException | StackOverflowError e) {
            // StackOverflowError: deeply nested ASN.1 recurses in the parser; it is bad input, not a VM fault.
            throw new CsrRejected(Reason.MALFORMED, "not a DER PKCS#10 certificate request");
        }
    }

    /** As {@code JcaPKCS10CertificationRequest.getPublicKey}: a KeyFactory by OID, else by algorithm name. */
    private static PublicKey publicKey(PKCS10CertificationRequest request) {
        try {
            ASN1ObjectIdentifier type = request.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm();
            var pool = KEY_FACTORIES.computeIfAbsent(type, t -> new ConcurrentLinkedQueue<>());
            KeyFactory factory = pool.poll();
            if (factory == null) {
                factory = keyFactory(type);
            }
            PublicKey key = factory.generatePublic(new X509EncodedKeySpec(request.getSubjectPublicKeyInfo()
                    .getEncoded()));
            pool.offer(factory);
            return key;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new CsrRejected(Reason.MALFORMED, "CSR public key is broken: " + e.getMessage());
        }
    }

    private static KeyFactory keyFactory(ASN1ObjectIdentifier type) throws GeneralSecurityException {
        try {
            return KeyFactory.getInstance(type.getId());
        } catch (NoSuchAlgorithmException e) {
            String name = KEYS.get(type);
            if (name == null) {
                throw e;
            }
            return KeyFactory.getInstance(name);
        }
    }

    private static void verify(PKCS10CertificationRequest request, PublicKey key) {
        String name = SIGNATURES.get(request.getSignatureAlgorithm().getAlgorithm());
        boolean valid;
        try {
            if (name == null) {
                valid = new JcaPKCS10CertificationRequest(request.toASN1Structure())
                        .isSignatureValid(new JcaContentVerifierProviderBuilder().build(key));
            } else {
                var pool = VERIFIERS.computeIfAbsent(name, n -> new ConcurrentLinkedQueue<>());
                Signature s = pool.poll();
                if (s == null) {
                    s = Signature.getInstance(name);
                }
                // The DER re-encoding, as BouncyCastle verified it: a BER-encoded request does not verify.
                s.initVerify(key);
                s.update(request.toASN1Structure().getCertificationRequestInfo().getEncoded(ASN1Encoding.DER));
                valid = s.verify(request.getSignature()); // verify() resets the object, so it can be reused
                pool.offer(s);
            }
        } catch (Exception e) {
            throw new CsrRejected(Reason.BAD_SIGNATURE, "CSR signature cannot be checked: " + e.getMessage());
        }
        if (!valid) {
            throw new CsrRejected(Reason.BAD_SIGNATURE,
                    "CSR signature does not verify with its own public key (RFC 2986 §3)");
        }
    }

    private static String commonName(PKCS10CertificationRequest request) {
        RDN[] cns = request.getSubject().getRDNs(BCStyle.CN);
        if (cns.length == 0) {
            return "";
        }
        ASN1Encodable value = cns[0].getFirst().getValue();
        return value instanceof ASN1String s ? s.getString() : IETFUtils.valueToString(value);
    }

    /** SANs travel in the PKCS#9 extensionRequest attribute (RFC 2985 §5.4.2). */
    private static void readSubjectAltNames(PKCS10CertificationRequest request, List<String> dns,
                                            List<String> ips, List<String> others) {
        try {
            for (Attribute attribute : request.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
                for (ASN1Encodable value : attribute.getAttrValues()) {
                    GeneralNames names = GeneralNames.fromExtensions(Extensions.getInstance(value),
                            Extension.subjectAlternativeName);
                    for (GeneralName name : names == null ? new GeneralName[0] : names.getNames()) {
                        add(name, dns, ips, others);
                    }
                }
            }
        } catch (CsrRejected e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CsrRejected(Reason.MALFORMED, "CSR extensionRequest attribute is broken: " + e.getMessage());
        }
    }

    private static final String[] KINDS = {"otherName", "rfc822Name", "dNSName", "x400Address", "directoryName",
        "ediPartyName", "uniformResourceIdentifier", "iPAddress", "registeredID"};

    private static void add(GeneralName name, List<String> dns, List<String> ips, List<String> others) {
        if (name.getTagNo() == GeneralName.dNSName) {
            dns.add(((ASN1String) name.getName()).getString());
        } else if (name.getTagNo() == GeneralName.iPAddress) {
            byte[] octets = ASN1OctetString.getInstance(name.getName()).getOctets();
            try {
                if (octets.length != 4 && octets.length != 16) {
                    throw new UnknownHostException("length " + octets.length);
                }
                ips.add(InetAddress.getByAddress(octets).getHostAddress());
            } catch (UnknownHostException e) {
                throw new CsrRejected(Reason.MALFORMED, "CSR iPAddress SAN of " + octets.length
                        + " bytes is neither IPv4 nor IPv6");
            }
        } else {
            int tag = name.getTagNo();
            others.add(tag >= 0 && tag < KINDS.length ? KINDS[tag] : "tag " + tag);
        }
    }
}
