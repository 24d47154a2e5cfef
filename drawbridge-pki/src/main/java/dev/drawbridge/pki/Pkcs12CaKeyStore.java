package dev.drawbridge.pki;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * The CA key in a passphrase-protected PKCS#12 file. The JDK (12 and later) encrypts keys and
 * certificates with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) and MACs with HMAC-SHA256 (RFC 8018, RFC 7292).
 */
final class Pkcs12CaKeyStore implements CaKeyStore {
    static final String ALIAS = "drawbridge-ca";

    private final Path file;
    private final char[] passphrase;

    Pkcs12CaKeyStore(Path file, char[] passphrase) {
        this.file = file.toAbsolutePath();
        this.passphrase = passphrase.clone();
    }

    @Override
    public Optional<Entry> load() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        KeyStore store;
        try (InputStream in = Files.newInputStream(file)) {
            store = KeyStore.getInstance("PKCS12");
            store.load(in, passphrase);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            // A wrong passphrase fails the MAC check, which the JDK reports as an IOException.
            throw new PkiException("cannot open CA key store " + file + ": wrong passphrase or damaged file", e);
        }
        try {
            Key key = store.getKey(ALIAS, passphrase);
            Certificate certificate = store.getCertificate(ALIAS);
            if (!(key instanceof PrivateKey privateKey) || !(certificate instanceof X509Certificate x509)) {
                throw new PkiException("CA key store " + file + " holds no key and certificate named " + ALIAS);
            }
            return Optional.of(new Entry(privateKey, x509));
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot read CA key from " + file + ": wrong passphrase or damaged file", e);
        }
    }

    @Override
    public Entry create(KeyAlgorithm algorithm, RootFactory rootFactory) {
        if (Files.exists(file)) {
            throw new PkiException("refusing to replace the existing CA key store " + file);
        }
        KeyPair keyPair = KeyPairs.generate(algorithm);
        X509Certificate root = rootFactory.selfSign(keyPair, CaSigner.defaultProvider(keyPair.getPublic()));
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(ALIAS, keyPair.getPrivate(), passphrase, new Certificate[] {root});
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            store.store(out, passphrase);
            AtomicFiles.write(file, out.toByteArray());
        } catch (IOException | GeneralSecurityException e) {
            throw new PkiException("cannot save CA key store " + file, e);
        }
        return new Entry(keyPair.getPrivate(), root);
    }

    @Override
    public String kind() {
        return "pkcs12";
    }
}
