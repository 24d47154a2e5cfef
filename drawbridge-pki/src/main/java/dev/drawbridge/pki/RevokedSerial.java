package dev.drawbridge.pki;

import java.math.BigInteger;
import java.time.Instant;

/**
 * One CRL entry (RFC 5280 §5.3). {@code reasonCode} is a CRLReason value: 0 unspecified, 1 keyCompromise,
 * 2 cACompromise, 3 affiliationChanged, 4 superseded, 5 cessationOfOperation, 6 certificateHold,
 * 8 removeFromCRL, 9 privilegeWithdrawn, 10 aACompromise (7 is not used).
 */
public record RevokedSerial(BigInteger serial, Instant revokedAt, int reasonCode) {
    public RevokedSerial {
        if (serial.signum() <= 0) {
            throw new PkiException("a certificate serial must be positive (RFC 5280 §4.1.2.2), got " + serial);
        }
        RevocationReasons.check(reasonCode);
    }
}
