package dev.drawbridge.agent;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The enrolled key and certificate at rest: an encrypted PKCS#12 (the JDK's default PBES2, AES-256 with
 * PBKDF2) whose random passphrase is in a file next to it, both 0600. It keeps the key off casual backups
 * and copies of one file; a node that must resist disk theft needs a TPM-held key instead.
 */
final class IdentityStore {
    static final String KEYSTORE = "identity.p12";
    static final String PASSPHRASE = "identity.pass";
    private static final String ALIAS = "node";
    private final DataFiles files;

    IdentityStore(DataFiles files) {
        this.files = files;
    }

    void save(TlsIdentity.Current identity) {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        char[] pass = Base64.getUrlEncoder().withoutPadding().encodeToString(secret).toCharArray();
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(ALIAS, identity.key(), pass, identity.chain().toArray(Certificate[]::new));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ks.store(out, pass);
            // A crash between the two writes leaves a pair that does not open; load() then refuses to start
            // with a message naming the file rather than silently serving the self-signed identity.
            files.write(PASSPHRASE, new String(pass).getBytes(StandardCharsets.UTF_8));
            files.write(KEYSTORE, out.toByteArray());
        } catch (GeneralSecurityException | IOException e) {
            throw new AgentException("cannot store the enrolled identity: " + e.getMessage(), e);
        } finally {
            Arrays.fill(pass, '\0');
        }
    }

    Optional<TlsIdentity.Current> load() {
        Optional<byte[]> store = files.read(KEYSTORE);
        Optional<byte[]> pass = files.read(PASSPHRASE);
        if (store.isEmpty() || pass.isEmpty()) {
            return Optional.empty();
        }
        char[] passphrase = new String(pass.get(), StandardCharsets.UTF_8).strip().toCharArray();
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(new ByteArrayInputStream(store.get()), passphrase);
            PrivateKey key = (PrivateKey) ks.getKey(ALIAS, passphrase);
            Certificate[] chain = ks.getCertificateChain(ALIAS);
            if (key == null || chain == null) {
                throw new AgentException(files.path(KEYSTORE) + " holds no node key");
            }
            List<X509Certificate> certs = Arrays.stream(chain).map(c -> (X509Certificate) c).toList();
            return Optional.of(new TlsIdentity.Current(key, certs, true));
        } catch (GeneralSecurityException | IOException e) {
            throw new AgentException("cannot read the enrolled identity in " + files.path(KEYSTORE) + ": "
                    + e.getMessage(), e);
        } finally {
            Arrays.fill(passphrase, '\0');
        }
    }
}
