package dev.drawbridge.pki;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * Where the CA's private key and root certificate live. Implementations: {@code pkcs12} (an encrypted
 * PKCS#12 file), {@code pkcs11} (a token such as SoftHSM2; the key never leaves it) and {@code store} (sealed in
 * a {@link SealedKeySlot} such as the controller's database).
 */
public interface CaKeyStore {
    /** The stored key and certificate, if the store holds them. */
    Optional<Entry> load();

    /**
     * Generates a key of {@code algorithm} in the store, has {@code rootFactory} self-sign a root for it
     * (signing through the provider that holds the key), and saves both. Refuses to replace an existing key.
     */
    Entry create(KeyAlgorithm algorithm, RootFactory rootFactory);

    /** A short name for logs and {@code drawbridge version}: "pkcs12", "pkcs11" or "store". */
    String kind();

    /**
     * The provider that must sign with this store's key: a PKCS#11 token's own provider, since its key
     * never leaves the token. Empty means the installed providers (ACCP first when it loads).
     */
    default Optional<Provider> signingProvider() {
        return Optional.empty();
    }

    record Entry(PrivateKey privateKey, X509Certificate certificate) {}

    /** Builds the self-signed root certificate for a freshly generated key pair. */
    @FunctionalInterface
    interface RootFactory {
        X509Certificate selfSign(KeyPair keyPair, Provider signingProvider);
    }
}
