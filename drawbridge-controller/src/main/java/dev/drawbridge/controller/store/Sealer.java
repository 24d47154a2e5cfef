package dev.drawbridge.controller.store;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals a secret kept in the store with AES-256-GCM under a key-encryption key kept outside it (the data directory's
 * {@code store.kek}, 0600), so a copy of the database alone (a dump, a replica, a backup) yields no live secret: a
 * ticket's pin key, an OAuth signing key. The caller names what the secret belongs to (a ticket id, a key id) as
 * the associated data, so a sealed value moved to another row does not open. Stored as {@code v1:} +
 * hex(nonce ‖ ciphertext ‖ tag).
 */
public final class Sealer {
    private static final String PREFIX = "v1:";
    private static final HexFormat HEX = HexFormat.of();
    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    public Sealer(byte[] kek) {
        if (kek.length != 32) {
            throw new IllegalArgumentException("the key-encryption key must be 32 bytes, not " + kek.length);
        }
        this.key = new SecretKeySpec(kek.clone(), "AES");
    }

    /** A sealer with a fresh random key, for tests and stores that never outlive the process. */
    public static Sealer ephemeral() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return new Sealer(k);
    }

    /** {@code secret} sealed for {@code owner}. */
    public String seal(String owner, byte[] secret) {
        try {
            byte[] nonce = new byte[12];
            random.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            c.updateAAD(owner.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = c.doFinal(secret);
            byte[] out = Arrays.copyOf(nonce, nonce.length + sealed.length);
            System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
            return PREFIX + HEX.formatHex(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal a secret: " + e.getMessage(), e);
        }
    }

    /** Whether {@code stored} is a sealed value (rows written before sealing existed hold plain text). */
    public static boolean isSealed(String stored) {
        return stored.startsWith(PREFIX);
    }

    /** The secret sealed for {@code owner}; an IllegalStateException when it does not open. */
    public byte[] open(String owner, String stored) {
        if (!isSealed(stored)) {
            throw new IllegalStateException("the secret of " + owner + " is not sealed");
        }
        byte[] all = HEX.parseHex(stored.substring(PREFIX.length()));
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, all, 0, 12));
            c.updateAAD(owner.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(all, 12, all.length - 12);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the secret of " + owner + " does not open with this "
                    + "controller's store.kek (another controller's key, or the row was altered)", e);
        }
    }
}
