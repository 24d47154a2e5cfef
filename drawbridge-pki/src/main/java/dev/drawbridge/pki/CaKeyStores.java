package dev.drawbridge.pki;

import java.nio.file.Path;

/** The CA key stores, by kind. */
public final class CaKeyStores {
    private CaKeyStores() {}

    /** An encrypted PKCS#12 file, written atomically with mode 0600; created at first start. */
    public static CaKeyStore pkcs12(Path file, char[] passphrase) {
        return new Pkcs12CaKeyStore(file, passphrase);
    }

    /**
     * A key labelled {@code keyLabel} in the PKCS#11 token labelled {@code tokenLabel} of module
     * {@code library} (for example /usr/lib/softhsm/libsofthsm2.so). Logs in at once with {@code pin}.
     * Needs {@code --add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED} to find the
     * token by label.
     */
    public static CaKeyStore pkcs11(Path library, String tokenLabel, char[] pin, String keyLabel) {
        return new Pkcs11CaKeyStore(library, tokenLabel, pin, keyLabel);
    }

    /**
     * The key in {@code slot}, kept outside this module (the controller's store, sealed under its key-encryption
     * key): every controller that reaches the slot signs with the same key.
     */
    public static CaKeyStore sealed(SealedKeySlot slot) {
        return new SlotCaKeyStore(slot);
    }
}
