package dev.drawbridge.controller.enroll;

import dev.drawbridge.pki.IssuedCertificate;
import dev.drawbridge.pki.Profile;
import java.util.Locale;
import java.util.Optional;

/** Turns an issued certificate into the row the store keeps about it. */
final class Certificates {
    private Certificates() {}

    static CertificateRecord record(IssuedCertificate issued, Optional<String> nodeId, Profile profile, String pem) {
        return new CertificateRecord(issued.serialHex(), nodeId, profile.name().toLowerCase(Locale.ROOT),
                issued.certificate().getSubjectX500Principal().getName(), issued.notBefore(), issued.notAfter(),
                Optional.empty(), 0, pem);
    }
}
