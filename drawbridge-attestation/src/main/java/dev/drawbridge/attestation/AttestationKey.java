package dev.drawbridge.attestation;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Optional;

/**
 * An attestation key as the verifier knows it: the public key that checks quote signatures,
 * its TPM Name when known (from a TPM2B_PUBLIC), and its qualified Name, which a quote's
 * qualifiedSigner must equal. Without a qualified Name the signer is not compared.
 */
public record AttestationKey(PublicKey publicKey, Optional<byte[]> name, Optional<byte[]> qualifiedName) {

    public static AttestationKey of(PublicKey publicKey) {
        return new AttestationKey(publicKey, Optional.empty(), Optional.empty());
    }

    /** From {@code tpm2_createak -f pem}: a PEM "PUBLIC KEY" (SubjectPublicKeyInfo), RSA or EC. */
    public static AttestationKey fromPem(String pem) {
        String body = pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "")
                .replaceAll("\\s", "");
        if (!pem.contains("-----BEGIN PUBLIC KEY-----") || body.isEmpty()) {
            throw new AttestationException("AK PEM: no PUBLIC KEY block");
        }
        byte[] der;
        try {
            der = Base64.getDecoder().decode(body.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw new AttestationException("AK PEM: bad base64: " + e.getMessage(), e);
        }
        for (String alg : new String[] {"EC", "RSA"}) {
            try {
                return of(KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der)));
            } catch (GeneralSecurityException | RuntimeException e) {
                // try the next key type
            }
        }
        throw new AttestationException("AK PEM: not an RSA or EC SubjectPublicKeyInfo");
    }

    /** From {@code tpm2_createak -u ak.pub} (tss format): a TPM2B_PUBLIC; the Name is computed. */
    public static AttestationKey fromTpm2bPublic(byte[] tpm2bPublic) {
        return TpmtPublic.parseTpm2b(tpm2bPublic);
    }

    /** This key with a known qualified Name (e.g. from {@code tpm2_readpublic -q}). */
    public AttestationKey withQualifiedName(byte[] qualified) {
        return new AttestationKey(publicKey, name, Optional.of(qualified.clone()));
    }

    /** This key as a child of the object or hierarchy with the given qualified Name. */
    public AttestationKey qualifiedUnder(byte[] parentQualifiedName) {
        byte[] n = name.orElseThrow(() -> new AttestationException("AK: Name unknown, cannot qualify it"));
        return withQualifiedName(TpmName.qualified(TpmName.algorithmOf(n), parentQualifiedName, n));
    }
}
