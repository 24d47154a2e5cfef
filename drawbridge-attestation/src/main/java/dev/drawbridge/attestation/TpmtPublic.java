package dev.drawbridge.attestation;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Optional;

/**
 * Reads the parts of a TPMT_PUBLIC (TCG TPM 2.0 Part 2, 12.2.4) needed to verify signatures
 * and to compute the object's Name, and writes the one a software AK presents.
 */
final class TpmtPublic {
    static final int TPM_ALG_RSA = 0x0001;
    static final int TPM_ALG_ECC = 0x0023;
    static final int TPM_ALG_NULL = 0x0010;
    static final int TPM_ALG_RSAES = 0x0015;
    static final int TPM_ALG_ECDAA = 0x001A;
    static final int TPM_ECC_NIST_P256 = 0x0003;
    static final int TPM_ECC_NIST_P384 = 0x0004;
    /** fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | restricted | sign, as tpm2_createak sets. */
    static final int AK_ATTRIBUTES = 0x00050072;

    private TpmtPublic() {}

    /** The key and Name of a TPM2B_PUBLIC (u16 size, then a TPMT_PUBLIC of exactly that size). */
    static AttestationKey parseTpm2b(byte[] data) {
        TpmReader r = TpmReader.bigEndian(data, "TPM2B_PUBLIC");
        int size = r.u16("size");
        if (size != r.remaining()) {
            throw r.fail("size " + size + " does not match the " + r.remaining() + " bytes that follow");
        }
        byte[] tpmtPublic = r.bytes(size, "publicArea");
        PublicKey key = parse(tpmtPublic);
        HashAlg nameAlg = HashAlg.require(((tpmtPublic[2] & 0xFF) << 8) | (tpmtPublic[3] & 0xFF), "TPMT_PUBLIC nameAlg");
        return new AttestationKey(key, Optional.of(TpmName.of(nameAlg, tpmtPublic)), Optional.empty());
    }

    /** The JCA public key of a TPMT_PUBLIC of type RSA or ECC; rejects trailing bytes. */
    static PublicKey parse(byte[] data) {
        TpmReader r = TpmReader.bigEndian(data, "TPMT_PUBLIC");
        int type = r.u16("type");
        HashAlg.require(r.u16("nameAlg"), "TPMT_PUBLIC nameAlg");
        r.u32("objectAttributes");
        r.tpm2b("authPolicy", TpmsAttest.MAX_DIGEST);
        symmetric(r);
        PublicKey key = switch (type) {
            case TPM_ALG_RSA -> rsa(r);
            case TPM_ALG_ECC -> ecc(r);
            default -> throw r.fail("type 0x" + Integer.toHexString(type) + " is not RSA (0x0001) or ECC (0x0023)");
        };
        r.end();
        return key;
    }

    /** TPMT_SYM_DEF_OBJECT: algorithm, then keyBits and mode unless it is TPM_ALG_NULL. */
    private static void symmetric(TpmReader r) {
        if (r.u16("parameters.symmetric.algorithm") != TPM_ALG_NULL) {
            r.u16("parameters.symmetric.keyBits");
            r.u16("parameters.symmetric.mode");
        }
    }

    private static PublicKey rsa(TpmReader r) {
        int scheme = r.u16("parameters.rsaDetail.scheme.scheme");
        if (scheme != TPM_ALG_NULL && scheme != TPM_ALG_RSAES) {
            r.u16("parameters.rsaDetail.scheme.details.hashAlg");
        }
        int keyBits = r.u16("parameters.rsaDetail.keyBits");
        long exponent = r.u32("parameters.rsaDetail.exponent");
        byte[] modulus = r.tpm2b("unique.rsa", TpmtSignature.MAX_RSA_BYTES);
        if (modulus.length * 8 != keyBits) {
            throw r.fail("unique.rsa has " + modulus.length * 8 + " bits, keyBits says " + keyBits);
        }
        RSAPublicKeySpec spec = new RSAPublicKeySpec(new BigInteger(1, modulus),
                BigInteger.valueOf(exponent == 0 ? 65537 : exponent));
        try {
            return KeyFactory.getInstance("RSA").generatePublic(spec);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new AttestationException("TPMT_PUBLIC: RSA key rejected: " + e.getMessage(), e);
        }
    }

    private static PublicKey ecc(TpmReader r) {
        int scheme = r.u16("parameters.eccDetail.scheme.scheme");
        if (scheme != TPM_ALG_NULL) {
            r.u16("parameters.eccDetail.scheme.details.hashAlg");
            if (scheme == TPM_ALG_ECDAA) {
                r.u16("parameters.eccDetail.scheme.details.count");
            }
        }
        int curve = r.u16("parameters.eccDetail.curveID");
        if (r.u16("parameters.eccDetail.kdf.scheme") != TPM_ALG_NULL) {
            r.u16("parameters.eccDetail.kdf.details.hashAlg");
        }
        byte[] x = r.tpm2b("unique.ecc.x", TpmtSignature.MAX_ECC_BYTES);
        byte[] y = r.tpm2b("unique.ecc.y", TpmtSignature.MAX_ECC_BYTES);
        String name = switch (curve) {
            case TPM_ECC_NIST_P256 -> "secp256r1";
            case TPM_ECC_NIST_P384 -> "secp384r1";
            default -> throw r.fail("curveID 0x" + Integer.toHexString(curve) + " is not NIST P-256 or P-384");
        };
        try {
            AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
            params.init(new ECGenParameterSpec(name));
            ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
            ECPoint point = new ECPoint(new BigInteger(1, x), new BigInteger(1, y));
            if (!onCurve(point, spec)) {
                throw r.fail("unique.ecc is not a point on " + name);
            }
            return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, spec));
        } catch (GeneralSecurityException | RuntimeException e) {
            if (e instanceof AttestationException ae) {
                throw ae;
            }
            throw new AttestationException("TPMT_PUBLIC: ECC point rejected: " + e.getMessage(), e);
        }
    }

    /** Whether x and y are field elements with y^2 = x^3 + ax + b (mod p); JCA does not always check. */
    private static boolean onCurve(ECPoint point, ECParameterSpec spec) {
        BigInteger p = ((ECFieldFp) spec.getCurve().getField()).getP();
        BigInteger x = point.getAffineX();
        BigInteger y = point.getAffineY();
        if (x.compareTo(p) >= 0 || y.compareTo(p) >= 0) {
            return false;
        }
        BigInteger rhs = x.pow(3).add(spec.getCurve().getA().multiply(x)).add(spec.getCurve().getB()).mod(p);
        return y.modPow(BigInteger.TWO, p).equals(rhs);
    }

    /** The TPMT_PUBLIC of a restricted ECDSA-SHA256 P-256 signing key, as tpm2_createak -G ecc makes it. */
    static byte[] eccAk(ECPublicKey key) {
        return TpmWriter.bigEndian()
                .u16(TPM_ALG_ECC).u16(HashAlg.SHA256.id()).u32(AK_ATTRIBUTES).tpm2b(new byte[0])
                .u16(TPM_ALG_NULL)
                .u16(TpmtSignature.TPM_ALG_ECDSA).u16(HashAlg.SHA256.id())
                .u16(TPM_ECC_NIST_P256).u16(TPM_ALG_NULL)
                .tpm2b(Ecdsa.fixed(key.getW().getAffineX(), 32)).tpm2b(Ecdsa.fixed(key.getW().getAffineY(), 32))
                .toByteArray();
    }
}
