package dev.drawbridge.pki;

import java.time.Instant;

/** Revocation status of one serial, as the store knows it. Used by CRL and OCSP. */
public sealed interface CertStatus {
    record Good() implements CertStatus {}

    record Revoked(Instant revokedAt, int reasonCode) implements CertStatus {}

    record Unknown() implements CertStatus {}
}
