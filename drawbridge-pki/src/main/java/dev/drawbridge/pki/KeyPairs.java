package dev.drawbridge.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;

/** Generates CA key pairs, in the first installed provider or in a given one (a PKCS#11 token). */
final class KeyPairs {
    private KeyPairs() {}

    static KeyPair generate(KeyAlgorithm algorithm) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(type(algorithm));
            generator.initialize(spec(algorithm));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot generate " + algorithm + " CA key", e);
        }
    }

    static KeyPair generate(KeyAlgorithm algorithm, Provider provider) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(type(algorithm), provider);
            generator.initialize(spec(algorithm));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new PkiException("cannot generate " + algorithm + " CA key in " + provider.getName(), e);
        }
    }

    private static String type(KeyAlgorithm algorithm) {
        return switch (algorithm) {
            case EC_P256, EC_P384 -> "EC";
            case RSA_3072 -> "RSA";
        };
    }

    private static AlgorithmParameterSpec spec(KeyAlgorithm algorithm) {
        return switch (algorithm) {
            case EC_P256 -> new ECGenParameterSpec("secp256r1");
            case EC_P384 -> new ECGenParameterSpec("secp384r1");
            case RSA_3072 -> new RSAKeyGenParameterSpec(3072, RSAKeyGenParameterSpec.F4);
        };
    }
}
