package dev.drawbridge.pki;

import java.math.BigInteger;
import java.security.SecureRandom;

/**
 * Certificate serials: 128 random bits, positive and non-zero (RFC 5280 §4.1.2.2 allows up to 20 octets).
 * Unpredictable serials also defeat chosen-prefix collision attacks on the signed data (CA/B BR §7.1).
 */
final class Serials {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Serials() {}

    static BigInteger next() {
        byte[] bytes = new byte[16];
        BigInteger serial;
        do {
            RANDOM.nextBytes(bytes);
            serial = new BigInteger(1, bytes);
        } while (serial.signum() == 0);
        return serial;
    }
}
