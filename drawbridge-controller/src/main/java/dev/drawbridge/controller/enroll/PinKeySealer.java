package dev.drawbridge.controller.enroll;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals a ticket's pin key at rest with AES-256-GCM under a key-encryption key kept outside the store (the data
 * directory's {@code store.kek}, 0600): the pin key is enough to pass the conductor's key-pinning check, so a copy of
 * the database alone (a dump, a replica, a backup) must not yield live ones. The ticket id is the associated data, so
 * a sealed key moved to another ticket does not open. Stored as {@code v1:} + hex(nonce ‖ ciphertext ‖ tag).
 */
final class PinKeySealer {
    private static final String PREFIX = "v1:";
    private static final HexFormat HEX = HexFormat.of();
    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    PinKeySealer(byte[] kek) {
        if (kek.length != 32) {
            throw new IllegalArgumentException("the key-encryption key must be 32 bytes, not " + kek.length);
        }
        this.key = new SecretKeySpec(kek.clone(), "AES");
    }

    /** A sealer with a fresh random key, for tests and stores that never outlive the process. */
    static PinKeySealer ephemeral() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return new PinKeySealer(k);
    }

    String seal(String ticketId, byte[] pinKey) {
        try {
            byte[] nonce = new byte[12];
            random.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            c.updateAAD(ticketId.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = c.doFinal(pinKey);
            byte[] out = Arrays.copyOf(nonce, nonce.length + sealed.length);
            System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
            return PREFIX + HEX.formatHex(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal a pin key: " + e.getMessage(), e);
        }
    }

    /** The pin key; a value stored before sealing existed (plain hex) is read as it is. */
    byte[] open(String ticketId, String stored) {
        if (!stored.startsWith(PREFIX)) {
            return HEX.parseHex(stored);
        }
        byte[] all = HEX.parseHex(stored.substring(PREFIX.length()));
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, all, 0, 12));
            c.updateAAD(ticketId.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(all, 12, all.length - 12);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the pin key of ticket " + ticketId + " does not open with this "
                    + "controller's store.kek (another controller's key, or the row was altered)", e);
        }
    }
}
