package dev.drawbridge.pki;

import dev.drawbridge.pki.CsrRejected.Reason;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * Which requester keys and CSR signature algorithms the CA accepts. Checked before the signature, so that
 * a key no provider can handle (say secp256k1) is named as such instead of failing as a bad signature.
 */
final class CsrPolicy {
    static final int MIN_RSA_BITS = 2048;
    /** Bounds verification cost: a huge modulus would let one request burn seconds of CPU. */
    static final int MAX_RSA_BITS = 8192;

    private static final Map<ASN1ObjectIdentifier, String> CURVES = Map.of(
            SECObjectIdentifiers.secp256r1, "P-256", SECObjectIdentifiers.secp384r1, "P-384");

    /** RFC 5758 §3.2 and RFC 4055 §5: SHA-2 family only; SHA-1 and MD5 signatures prove nothing today. */
    private static final Set<ASN1ObjectIdentifier> SIGNATURES = Set.of(
            X9ObjectIdentifiers.ecdsa_with_SHA256, X9ObjectIdentifiers.ecdsa_with_SHA384,
            X9ObjectIdentifiers.ecdsa_with_SHA512, PKCSObjectIdentifiers.sha256WithRSAEncryption,
            PKCSObjectIdentifiers.sha384WithRSAEncryption, PKCSObjectIdentifiers.sha512WithRSAEncryption,
            PKCSObjectIdentifiers.id_RSASSA_PSS);

    private CsrPolicy() {}

    static void checkKey(SubjectPublicKeyInfo spki) {
        AlgorithmIdentifier alg = spki.getAlgorithm();
        ASN1ObjectIdentifier type = alg.getAlgorithm();
        if (type.equals(PKCSObjectIdentifiers.rsaEncryption)) {
            int bits = rsaBits(spki);
            if (bits < MIN_RSA_BITS) {
                throw new CsrRejected(Reason.WEAK_KEY, "RSA key of " + bits + " bits is too weak: at least "
                        + MIN_RSA_BITS + " bits are required");
            }
            if (bits > MAX_RSA_BITS) {
                throw new CsrRejected(Reason.UNSUPPORTED_KEY, "RSA key of " + bits + " bits is larger than the "
                        + MAX_RSA_BITS + " bits accepted");
            }
        } else if (type.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            if (!(alg.getParameters() instanceof ASN1ObjectIdentifier curve) || !CURVES.containsKey(curve)) {
                throw new CsrRejected(Reason.UNSUPPORTED_KEY, "EC key on curve " + curveName(alg)
                        + " is not supported: use P-256 or P-384");
            }
        } else {
            throw new CsrRejected(Reason.UNSUPPORTED_KEY, "key type " + type.getId()
                    + " is not supported: use EC P-256, EC P-384 or RSA of at least 2048 bits");
        }
    }

    static void checkSignatureAlgorithm(AlgorithmIdentifier alg) {
        if (!SIGNATURES.contains(alg.getAlgorithm())) {
            throw new CsrRejected(Reason.BAD_SIGNATURE, "CSR signature algorithm " + alg.getAlgorithm().getId()
                    + " is not accepted: sign with SHA-256 or stronger");
        }
    }

    private static int rsaBits(SubjectPublicKeyInfo spki) {
        try {
            return RSAPublicKey.getInstance(spki.parsePublicKey()).getModulus().bitLength();
        } catch (IOException | RuntimeException e) {
            throw new CsrRejected(Reason.MALFORMED, "CSR holds a broken RSA public key");
        }
    }

    private static String curveName(AlgorithmIdentifier alg) {
        if (alg.getParameters() instanceof ASN1ObjectIdentifier oid) {
            String name = ECNamedCurveTable.getName(oid);
            return name == null ? oid.getId() : name;
        }
        return "with explicit parameters";
    }
}
