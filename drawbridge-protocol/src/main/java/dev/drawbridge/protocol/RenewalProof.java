package dev.drawbridge.protocol;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;

/**
 * What an enrolled agent proves when its certificate is renewed over the poll channel. The agent signs, with the
 * key of the certificate it serves now, the conductor's nonce and the digest of the CSR for its new key; where it
 * has a TPM, it also quotes with its attestation key over a nonce bound to the new public key. Both ends build the
 * signed message and the quote nonce with this code.
 *
 * <pre>
 * message  = "drawbridge renew v1" || 0x00 || nonce || SHA-256(CSR DER)
 * akNonce  = SHA-256("drawbridge renew ak v1" || 0x00 || nonce || DER SubjectPublicKeyInfo of the new key)
 * </pre>
 */
public final class RenewalProof {
    private static final byte[] LABEL = "drawbridge renew v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] AK_LABEL = "drawbridge renew ak v1\0".getBytes(StandardCharsets.US_ASCII);

    private RenewalProof() {}

    /** The bytes the current key signs. */
    public static byte[] message(byte[] nonce, byte[] csrDer) {
        return concat(LABEL, nonce, sha256(csrDer));
    }

    /** The nonce of the quote that binds the new key to the node's attestation key. */
    public static byte[] akNonce(byte[] nonce, byte[] newSpkiDer) {
        return sha256(concat(AK_LABEL, nonce, newSpkiDer));
    }

    /** SHA256withECDSA for EC keys, SHA256withRSA for RSA keys. */
    public static String algorithm(String keyAlgorithm) {
        return switch (keyAlgorithm) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> throw new IllegalArgumentException("no renewal signature for " + keyAlgorithm + " keys");
        };
    }

    public static byte[] sign(PrivateKey key, byte[] message) {
        try {
            Signature s = Signature.getInstance(algorithm(key.getAlgorithm()));
            s.initSign(key);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign the renewal proof: " + e.getMessage(), e);
        }
    }

    /** Whether {@code signature} is {@code key}'s signature over {@code message}; false for anything malformed. */
    public static boolean verify(PublicKey key, byte[] message, byte[] signature) {
        try {
            Signature s = Signature.getInstance(algorithm(key.getAlgorithm()));
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
