package dev.drawbridge.controller.enroll;

import java.time.Instant;
import java.util.Optional;

/**
 * A certificate the CA issued, kept for revocation, CRLs and audit even after its node is gone.
 *
 * @param reasonCode CRL reason code (RFC 5280 section 5.3.1); 0 (unspecified) while not revoked
 * @param pem        the certificate, or an empty string when it was not kept
 */
public record CertificateRecord(String serialHex, Optional<String> nodeId, String profile, String subject,
                                Instant notBefore, Instant notAfter, Optional<Instant> revokedAt, int reasonCode,
                                String pem) {}
