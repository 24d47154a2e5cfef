package dev.drawbridge.pki;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/** PEM text (RFC 7468) to and from certificates and keys. */
public final class Pem {
    private static final String BEGIN = "-----BEGIN ";
    private static final String END = "-----END ";
    private static final String DASHES = "-----";
    private static final Base64.Encoder LINES = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));

    private Pem() {}

    /** One PEM block: a label such as "CERTIFICATE" and its DER bytes. */
    record Block(String label, byte[] der) {}

    public static String encode(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + LINES.encodeToString(der) + "\n-----END " + label + "-----\n";
    }

    public static String certificate(X509Certificate certificate) {
        try {
            return encode("CERTIFICATE", certificate.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot encode certificate " + certificate.getSubjectX500Principal(), e);
        }
    }

    /** The only certificate in {@code pem}. */
    public static X509Certificate certificate(String pem) {
        List<X509Certificate> all = certificates(pem);
        if (all.size() != 1) {
            throw new PkiException("expected one PEM certificate, found " + all.size());
        }
        return all.getFirst();
    }

    /** Every certificate in a PEM bundle, in order; blocks with other labels are ignored. */
    public static List<X509Certificate> certificates(String pem) {
        List<X509Certificate> out = new ArrayList<>();
        for (Block b : blocks(pem)) {
            if (b.label().equals("CERTIFICATE")) {
                out.add(certificate(b.der()));
            }
        }
        return List.copyOf(out);
    }

    public static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new PkiException("not a DER X.509 certificate: " + e.getMessage(), e);
        }
    }

    /** PKCS#8 "PRIVATE KEY" PEM, for tests and for handing a freshly made key to a local process. */
    public static String privateKey(PrivateKey key) {
        return encode("PRIVATE KEY", key.getEncoded());
    }

    public static PrivateKey privateKey(String pem) {
        for (Block b : blocks(pem)) {
            if (b.label().equals("PRIVATE KEY")) {
                try {
                    String alg = PrivateKeyInfo.getInstance(b.der()).getPrivateKeyAlgorithm().getAlgorithm()
                            .equals(PKCSObjectIdentifiers.rsaEncryption) ? "RSA" : "EC";
                    return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(b.der()));
                } catch (GeneralSecurityException | RuntimeException e) {
                    throw new PkiException("cannot read PKCS#8 private key: " + e.getMessage(), e);
                }
            }
        }
        throw new PkiException("no PRIVATE KEY block in PEM text");
    }

    /** The DER bytes of the first block labelled {@code label}. */
    public static byte[] der(String pem, String label) {
        for (Block b : blocks(pem)) {
            if (b.label().equals(label)) {
                return b.der();
            }
        }
        throw new PkiException("no " + label + " block in PEM text");
    }

    /** The public key of a {@code PUBLIC KEY} (SubjectPublicKeyInfo) block, RSA or EC. */
    public static PublicKey publicKey(String pem) {
        for (Block b : blocks(pem)) {
            if (b.label().equals("PUBLIC KEY")) {
                try {
                    String alg = SubjectPublicKeyInfo.getInstance(b.der()).getAlgorithm()
                            .getAlgorithm().equals(PKCSObjectIdentifiers.rsaEncryption)
                            ? "RSA" : "EC";
                    return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(b.der()));
                } catch (GeneralSecurityException | RuntimeException e) {
                    throw new PkiException("cannot read public key: " + e.getMessage(), e);
                }
            }
        }
        throw new PkiException("no PUBLIC KEY block in PEM text");
    }

    /**
     * All well-formed PEM blocks in {@code text}; text between blocks is ignored, as RFC 7468 §2 allows. A block is
     * {@code -----BEGIN L-----}, where L is 1 to 64 of {@code [A-Z0-9 ]}, then only base64 characters and white
     * space, then {@code -----END L-----}; a candidate that breaks any of this is skipped and the search goes on
     * from the next character. (This is what the regular expression
     * {@code -----BEGIN ([A-Z0-9 ]{1,64})-----([A-Za-z0-9+/=\s]*?)-----END \1-----} found, without its cost.)
     */
    static List<Block> blocks(String text) {
        List<Block> out = new ArrayList<>();
        int from = 0;
        while (true) {
            int begin = text.indexOf(BEGIN, from);
            if (begin < 0) {
                return out;
            }
            int labelStart = begin + BEGIN.length();
            int labelEnd = labelStart;
            while (labelEnd < text.length() && isLabel(text.charAt(labelEnd))) {
                labelEnd++;
            }
            int bodyStart = labelEnd + DASHES.length();
            if (labelEnd == labelStart || labelEnd - labelStart > 64 || !text.startsWith(DASHES, labelEnd)) {
                from = begin + 1;
                continue;
            }
            int bodyEnd = bodyStart;
            while (bodyEnd < text.length() && isBody(text.charAt(bodyEnd))) {
                bodyEnd++;
            }
            String label = text.substring(labelStart, labelEnd);
            int endLabel = bodyEnd + END.length();
            if (!text.startsWith(END, bodyEnd) || !text.startsWith(label, endLabel)
                    || !text.startsWith(DASHES, endLabel + label.length())) {
                from = begin + 1;
                continue;
            }
            try {
                out.add(new Block(label, Base64.getMimeDecoder().decode(text.substring(bodyStart, bodyEnd))));
            } catch (IllegalArgumentException e) {
                throw new PkiException("PEM block " + label + " holds broken base64");
            }
            from = endLabel + label.length() + DASHES.length();
        }
    }

    private static boolean isLabel(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ';
    }

    /** {@code [A-Za-z0-9+/=\s]}, where {@code \s} is {@code [ \t\n\x0B\f\r]} (java.util.regex, ASCII). */
    private static boolean isBody(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'
                || c == '=' || c == ' ' || c == '\t' || c == '\n' || c == 0x0b || c == '\f' || c == '\r';
    }
}
