package dev.drawbridge.pki;

import dev.drawbridge.pki.CsrRejected.Reason;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
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
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * Parses and checks PKCS#10 requests (RFC 2986). Everything that can go wrong with outside input ends as a
 * {@link CsrRejected}; nothing else escapes, because the caller maps it straight to a 400 answer.
 */
final class CsrParser {
    /** Far above any honest CSR (an RSA-8192 request with many SANs is a few KiB); bounds parse work. */
    static final int MAX_DER = 32 * 1024;

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
        JcaPKCS10CertificationRequest request = decode(der);
        try {
            CsrPolicy.checkKey(request.getSubjectPublicKeyInfo());
            CsrPolicy.checkSignatureAlgorithm(request.getSignatureAlgorithm());
            PublicKey key = publicKey(request);
            verify(request, key);
            List<String> dns = new ArrayList<>();
            List<String> ips = new ArrayList<>();
            readSubjectAltNames(request, dns, ips);
            return new CsrRequest(commonName(request), dns, ips, key, der.clone());
        } catch (CsrRejected e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            // BouncyCastle may parse nested parts lazily, so structural faults can surface here too.
            throw new CsrRejected(Reason.MALFORMED, "CSR structure is broken: " + e.getMessage());
        }
    }

    private static JcaPKCS10CertificationRequest decode(byte[] der) {
        try {
            return new JcaPKCS10CertificationRequest(der);
        } catch (java.io.IOException | RuntimeException | StackOverflowError e) {
            // StackOverflowError: deeply nested ASN.1 recurses in the parser; it is bad input, not a VM fault.
            throw new CsrRejected(Reason.MALFORMED, "not a DER PKCS#10 certificate request");
        }
    }

    private static PublicKey publicKey(JcaPKCS10CertificationRequest request) {
        try {
            return request.getPublicKey();
        } catch (java.security.GeneralSecurityException | RuntimeException e) {
            throw new CsrRejected(Reason.MALFORMED, "CSR public key is broken: " + e.getMessage());
        }
    }

    private static void verify(JcaPKCS10CertificationRequest request, PublicKey key) {
        boolean valid;
        try {
            valid = request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key));
        } catch (Exception e) {
            throw new CsrRejected(Reason.BAD_SIGNATURE, "CSR signature cannot be checked: " + e.getMessage());
        }
        if (!valid) {
            throw new CsrRejected(Reason.BAD_SIGNATURE,
                    "CSR signature does not verify with its own public key (RFC 2986 §3)");
        }
    }

    private static String commonName(JcaPKCS10CertificationRequest request) {
        RDN[] cns = request.getSubject().getRDNs(BCStyle.CN);
        if (cns.length == 0) {
            return "";
        }
        ASN1Encodable value = cns[0].getFirst().getValue();
        return value instanceof ASN1String s ? s.getString() : IETFUtils.valueToString(value);
    }

    /** SANs travel in the PKCS#9 extensionRequest attribute (RFC 2985 §5.4.2). */
    private static void readSubjectAltNames(JcaPKCS10CertificationRequest request, List<String> dns,
                                            List<String> ips) {
        try {
            for (Attribute attribute : request.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
                for (ASN1Encodable value : attribute.getAttrValues()) {
                    GeneralNames names = GeneralNames.fromExtensions(Extensions.getInstance(value),
                            Extension.subjectAlternativeName);
                    for (GeneralName name : names == null ? new GeneralName[0] : names.getNames()) {
                        add(name, dns, ips);
                    }
                }
            }
        } catch (CsrRejected e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CsrRejected(Reason.MALFORMED, "CSR extensionRequest attribute is broken: " + e.getMessage());
        }
    }

    private static void add(GeneralName name, List<String> dns, List<String> ips) {
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
        }
    }
}
