package dev.drawbridge.controller.config;

import java.time.Duration;

/**
 * The private CA. {@code keyStore} is {@code pkcs12} (an encrypted file in the data directory) or
 * {@code pkcs11} (a token). The PKCS#12 passphrase comes from {@code passphrase}, else
 * {@code passphrase-file}, else a random one kept in {@code ca.pass} (mode 0600) in the data directory.
 */
public record CaConfig(String keyAlgorithm, String keyStore, String passphrase, String passphraseFile,
                       Pkcs11Config pkcs11, String rootCommonName, Duration rootLifetime, Duration nodeLifetime,
                       Duration controllerLifetime, Duration consoleClientLifetime) {
    public static CaConfig defaults() {
        return new CaConfig("ec-p256", "pkcs12", "", "", Pkcs11Config.defaults(), "Drawbridge Root CA",
                Duration.ofDays(3650), Duration.ofHours(24), Duration.ofDays(90), Duration.ofDays(30));
    }

    public CaConfig withKeyStore(String kind, Pkcs11Config token) {
        return new CaConfig(keyAlgorithm, kind, passphrase, passphraseFile, token, rootCommonName, rootLifetime,
                nodeLifetime, controllerLifetime, consoleClientLifetime);
    }

    /** PKCS#11 token holding the CA key; the PIN comes from {@code pin} or {@code pin-file}. */
    public record Pkcs11Config(String library, String tokenLabel, String pin, String pinFile, String keyLabel) {
        public static Pkcs11Config defaults() {
            return new Pkcs11Config("/usr/lib/softhsm/libsofthsm2.so", "drawbridge", "", "", "drawbridge-ca");
        }
    }
}
