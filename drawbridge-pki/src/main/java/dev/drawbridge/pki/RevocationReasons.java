package dev.drawbridge.pki;

import java.util.Optional;
import org.bouncycastle.asn1.x509.CRLReason;

/** CRLReason codes (RFC 5280 §5.3.1), shared by the CRL and OCSP builders. */
final class RevocationReasons {
    private RevocationReasons() {}

    static void check(int code) {
        if (code < 0 || code > 10 || code == 7) {
            throw new PkiException("revocation reason code " + code + " is not a CRLReason (RFC 5280 §5.3.1)");
        }
    }

    /** RFC 5280 §5.3.1: the reason code "unspecified" SHOULD be left out rather than written. */
    static Optional<CRLReason> encoded(int code) {
        check(code);
        return code == CRLReason.unspecified ? Optional.empty() : Optional.of(CRLReason.lookup(code));
    }
}
