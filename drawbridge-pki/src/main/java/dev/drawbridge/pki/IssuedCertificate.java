package dev.drawbridge.pki;

import java.math.BigInteger;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * A certificate the CA just signed, with the facts the store keeps about it.
 *
 * <p>A class rather than a record so that the {@link X509Certificate} can be parsed lazily: most callers only
 * need {@link #pem()}, and parsing every issued certificate through {@code CertificateFactory} cost about a tenth
 * of the CPU of a console signing request (and filled the JDK's global, synchronized certificate cache).
 */
public final class IssuedCertificate {
    private final byte[] der;
    private final BigInteger serial;
    private final Instant notBefore;
    private final Instant notAfter;
    private final String pem;
    private volatile X509Certificate certificate;

    public IssuedCertificate(X509Certificate certificate, BigInteger serial, Instant notBefore, Instant notAfter,
                             String pem) {
        this(encoded(certificate), serial, notBefore, notAfter, pem);
        this.certificate = certificate;
    }

    IssuedCertificate(byte[] der, BigInteger serial, Instant notBefore, Instant notAfter, String pem) {
        this.der = der;
        this.serial = serial;
        this.notBefore = notBefore;
        this.notAfter = notAfter;
        this.pem = pem;
    }

    /** The certificate, parsed on first use. */
    public X509Certificate certificate() {
        X509Certificate c = certificate;
        if (c == null && der != null) {
            c = Pem.certificate(der);
            certificate = c;
        }
        return c;
    }

    public BigInteger serial() {
        return serial;
    }

    public Instant notBefore() {
        return notBefore;
    }

    public Instant notAfter() {
        return notAfter;
    }

    public String pem() {
        return pem;
    }

    /** Serial as lower-case hex without leading zeros: the form used in URLs and the store. */
    public String serialHex() {
        return serial.toString(16);
    }

    private static byte[] encoded(X509Certificate certificate) {
        if (certificate == null) {
            return null;
        }
        try {
            return certificate.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new PkiException("cannot encode certificate " + certificate.getSubjectX500Principal(), e);
        }
    }

    /** Equal when the same certificate bytes and facts, as the record this class replaced compared them. */
    @Override
    public boolean equals(Object o) {
        return o instanceof IssuedCertificate other && Arrays.equals(der, other.der)
                && Objects.equals(serial, other.serial) && Objects.equals(notBefore, other.notBefore)
                && Objects.equals(notAfter, other.notAfter) && Objects.equals(pem, other.pem);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(der), serial, notBefore, notAfter, pem);
    }

    @Override
    public String toString() {
        return "IssuedCertificate[serial=" + (serial == null ? null : serialHex()) + ", notBefore=" + notBefore
                + ", notAfter=" + notAfter + "]";
    }
}
