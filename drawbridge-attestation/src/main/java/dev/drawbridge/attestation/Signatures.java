package dev.drawbridge.attestation;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;

/** JCA signature calls in one place, so the provider choice and any caching live here. */
final class Signatures {
    private Signatures() {}

    static boolean verify(String algorithm, AlgorithmParameterSpec params, PublicKey key, byte[] data, byte[] sig)
            throws GeneralSecurityException {
        Signature s = Signature.getInstance(algorithm);
        if (params != null) {
            s.setParameter(params);
        }
        s.initVerify(key);
        s.update(data);
        try {
            return s.verify(sig);
        } catch (SignatureException e) {
            return false; // e.g. a DER or length error: the signature is simply bad
        }
    }

    /** RSASSA-PSS with MGF1 over the same hash (TPM 2.0 Part 1, B.7) and the given salt length. */
    static boolean verifyPss(HashAlg hash, int saltLength, PublicKey key, byte[] data, byte[] sig)
            throws GeneralSecurityException {
        if (saltLength < 0) {
            return false;
        }
        PSSParameterSpec spec = new PSSParameterSpec(hash.jcaName(), "MGF1", new MGF1ParameterSpec(hash.jcaName()),
                saltLength, PSSParameterSpec.TRAILER_FIELD_BC);
        return verify("RSASSA-PSS", spec, key, data, sig);
    }

    static byte[] sign(String algorithm, PrivateKey key, byte[] data) {
        try {
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new AttestationException("signing with " + algorithm + " failed: " + e.getMessage(), e);
        }
    }
}
