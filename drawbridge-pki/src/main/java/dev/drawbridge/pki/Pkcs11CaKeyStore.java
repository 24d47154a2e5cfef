package dev.drawbridge.pki;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * The CA key inside a PKCS#11 token, through a SunPKCS11 provider configured at run time. The key is
 * generated in the token as sensitive and not extractable, so it never leaves it; signing goes through
 * the token's provider.
 */
final class Pkcs11CaKeyStore implements CaKeyStore {
    private final Provider provider;
    private final KeyStore keyStore;
    private final String tokenLabel;
    private final String keyLabel;

    Pkcs11CaKeyStore(Path library, String tokenLabel, char[] pin, String keyLabel) {
        this.tokenLabel = tokenLabel;
        this.keyLabel = keyLabel;
        long slot = Pkcs11Slots.find(library, tokenLabel);
        String config = "--name = drawbridge-ca\n"
                + "library = \"" + library.toAbsolutePath() + "\"\n"
                + "slot = " + slot + "\n"
                + "attributes(generate, CKO_PRIVATE_KEY, *) = {\n"
                + "  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n}\n";
        try {
            this.provider = Security.getProvider("SunPKCS11").configure(config);
            this.keyStore = KeyStore.getInstance("PKCS11", provider);
            keyStore.load(null, pin); // C_Login as the user (PKCS#11 v2.40 §5.6)
        } catch (IOException e) {
            throw new PkiException("cannot log in to PKCS#11 token '" + tokenLabel + "': wrong PIN or token "
                    + "unavailable (" + e.getMessage() + ")", e);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new PkiException("cannot use PKCS#11 module " + library + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Entry> load() {
        try {
            Key key = keyStore.getKey(keyLabel, null);
            Certificate certificate = keyStore.getCertificate(keyLabel);
            if (key == null) {
                return Optional.empty();
            }
            if (!(key instanceof PrivateKey privateKey) || !(certificate instanceof X509Certificate x509)) {
                throw new PkiException("PKCS#11 token '" + tokenLabel + "' holds key '" + keyLabel
                        + "' without its root certificate");
            }
            return Optional.of(new Entry(privateKey, x509));
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot read key '" + keyLabel + "' from PKCS#11 token '" + tokenLabel + "'", e);
        }
    }

    @Override
    public Entry create(KeyAlgorithm algorithm, RootFactory rootFactory) {
        if (load().isPresent()) {
            throw new PkiException("refusing to replace key '" + keyLabel + "' in PKCS#11 token '" + tokenLabel + "'");
        }
        KeyPair keyPair = KeyPairs.generate(algorithm, provider);
        X509Certificate root = rootFactory.selfSign(keyPair, provider);
        try {
            // Stores the key as a token object labelled keyLabel, with the root beside it.
            keyStore.setKeyEntry(keyLabel, keyPair.getPrivate(), null, new Certificate[] {root});
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot store key '" + keyLabel + "' in PKCS#11 token '" + tokenLabel + "'", e);
        }
        return load().orElseThrow(() -> new PkiException("PKCS#11 token '" + tokenLabel + "' lost key '"
                + keyLabel + "' right after storing it"));
    }

    @Override
    public String kind() {
        return "pkcs11";
    }

    @Override
    public Optional<Provider> signingProvider() {
        return Optional.of(provider);
    }
}
