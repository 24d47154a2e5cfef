package dev.drawbridge.pki;

import java.util.Optional;

/**
 * Somewhere outside this module that keeps the CA's key and root certificate for a {@link CaKeyStore} of kind
 * {@code store}: the controller's database, with the key sealed under a key-encryption key kept out of it. The slot
 * seals and opens; this module only sees the key's PKCS#8 bytes and the certificate's DER.
 */
public interface SealedKeySlot {
    /** What the slot holds, opened; empty when it holds nothing yet. */
    Optional<Contents> read();

    /**
     * Stores a key and its certificate unless the slot already holds some (another controller sharing the store may
     * have made its own at the same moment). Whether this call stored them.
     */
    boolean writeIfAbsent(Contents contents);

    /** A PKCS#8 private key and the DER of its self-signed root certificate. */
    record Contents(byte[] pkcs8, byte[] certificateDer) {}
}
