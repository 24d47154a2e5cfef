package dev.drawbridge.pki;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Optional;

/**
 * The CA key in a {@link SealedKeySlot}: for controllers that share one store, so each member reaches the key with
 * only the store and the key-encryption key, no key file copied between them. The first member to start makes the
 * key; if two make one at the same moment, the one stored first wins and the other takes it.
 */
final class SlotCaKeyStore implements CaKeyStore {
    private final SealedKeySlot slot;

    SlotCaKeyStore(SealedKeySlot slot) {
        this.slot = slot;
    }

    @Override
    public Optional<Entry> load() {
        return slot.read().map(SlotCaKeyStore::entry);
    }

    @Override
    public Entry create(KeyAlgorithm algorithm, RootFactory rootFactory) {
        if (slot.read().isPresent()) {
            throw new PkiException("refusing to replace the CA key already in the store");
        }
        KeyPair keyPair = KeyPairs.generate(algorithm);
        X509Certificate root = rootFactory.selfSign(keyPair, CaSigner.defaultProvider(keyPair.getPublic()));
        byte[] pkcs8 = keyPair.getPrivate().getEncoded();
        try {
            if (slot.writeIfAbsent(new SealedKeySlot.Contents(pkcs8, root.getEncoded()))) {
                return new Entry(keyPair.getPrivate(), root);
            }
        } catch (CertificateEncodingException e) {
            throw new PkiException("cannot encode the new root certificate", e);
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
        // Another controller stored its key first: that one is the CA.
        return load().orElseThrow(() -> new PkiException("the store refused the CA key but holds none"));
    }

    @Override
    public String kind() {
        return "store";
    }

    private static Entry entry(SealedKeySlot.Contents c) {
        X509Certificate certificate = Pem.certificate(c.certificateDer());
        PrivateKey key = Pem.privateKey(Pem.encode("PRIVATE KEY", c.pkcs8()));
        if (!matches(key, certificate.getPublicKey())) {
            throw new PkiException("the CA key in the store does not belong to its certificate");
        }
        return new Entry(key, certificate);
    }

    /** Whether {@code key} signs what {@code publicKey} verifies. */
    private static boolean matches(PrivateKey key, PublicKey publicKey) {
        String algorithm = publicKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        byte[] message = "drawbridge: does this key belong to this certificate".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(message);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(message);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
