package dev.drawbridge.pki;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Instant;

/** A certificate the CA just signed, with the facts the store keeps about it. */
public record IssuedCertificate(X509Certificate certificate, BigInteger serial, Instant notBefore, Instant notAfter,
                                String pem) {
    /** Serial as lower-case hex without leading zeros: the form used in URLs and the store. */
    public String serialHex() {
        return serial.toString(16);
    }
}
