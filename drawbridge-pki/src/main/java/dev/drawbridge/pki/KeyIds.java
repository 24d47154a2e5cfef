package dev.drawbridge.pki;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/** Key identifiers, RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value. */
final class KeyIds {
    private KeyIds() {}

    static SubjectPublicKeyInfo info(PublicKey key) {
        try {
            return SubjectPublicKeyInfo.getInstance(key.getEncoded());
        } catch (RuntimeException e) {
            throw new PkiException("public key " + key.getAlgorithm() + " has no X.509 encoding", e);
        }
    }

    static byte[] hash(String digest, SubjectPublicKeyInfo info) {
        return digest(digest, info.getPublicKeyData().getBytes());
    }

    static byte[] digest(String digest, byte[] data) {
        try {
            return MessageDigest.getInstance(digest).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new PkiException("digest " + digest + " unavailable", e);
        }
    }

    static SubjectKeyIdentifier subject(SubjectPublicKeyInfo info) {
        return new SubjectKeyIdentifier(hash("SHA-1", info));
    }

    static AuthorityKeyIdentifier authority(SubjectPublicKeyInfo issuer) {
        return new AuthorityKeyIdentifier(hash("SHA-1", issuer));
    }
}
