package dev.drawbridge.pki;

/** An OCSP GET path segment was not URL-encoded base64 of a DER request (RFC 6960 appendix A.1). */
public final class BadOcspRequest extends PkiException {
    public BadOcspRequest(String message) {
        super(message);
    }
}
