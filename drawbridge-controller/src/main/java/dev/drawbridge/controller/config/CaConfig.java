package dev.drawbridge.controller.config;

import java.time.Duration;

/**
 * The private CA. {@code keyStore} is {@code pkcs12} (an encrypted file in the data directory) or
 * {@code pkcs11} (a token). The PKCS#12 passphrase comes from {@code passphrase}, else
 * {@code passphrase-file}, else a random one kept in {@code ca.pass} (mode 0600) in the data directory.
 * {@code crlValidity} is the CRL's nextUpdate distance; the CRL is re-signed when half of it has passed.
 */
public record CaConfig(String keyAlgorithm, String keyStore, String passphrase, String passphraseFile,
                       Pkcs11Config pkcs11, String rootCommonName, Duration rootLifetime, Duration nodeLifetime,
                       Duration controllerLifetime, Duration consoleClientLifetime, Duration crlValidity) {
    public static CaConfig defaults() {
        return new CaConfig("ec-p256", "pkcs12", "", "", Pkcs11Config.defaults(), "Drawbridge Root CA",
                Duration.ofDays(3650), Duration.ofHours(24), Duration.ofDays(90), Duration.ofDays(30), Duration.ofDays(1));
    }

    public CaConfig withKeyStore(String kind, Pkcs11Config token) {
        return new CaConfig(keyAlgorithm, kind, passphrase, passphraseFile, token, rootCommonName, rootLifetime,
                nodeLifetime, controllerLifetime, consoleClientLifetime, crlValidity);
    }

    /** With node and controller certificates living {@code node} and {@code controller} (tests shorten both). */
    public CaConfig withLifetimes(Duration node, Duration controller) {
        return new CaConfig(keyAlgorithm, keyStore, passphrase, passphraseFile, pkcs11, rootCommonName, rootLifetime,
                node, controller, consoleClientLifetime, crlValidity);
    }

    /** PKCS#11 token holding the CA key; the PIN comes from {@code pin} or {@code pin-file}. */
    public record Pkcs11Config(String library, String tokenLabel, String pin, String pinFile, String keyLabel) {
        public static Pkcs11Config defaults() {
            return new Pkcs11Config("/usr/lib/softhsm/libsofthsm2.so", "drawbridge", "", "", "drawbridge-ca");
        }
    }
}
