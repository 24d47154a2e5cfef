package dev.drawbridge.controller.enroll;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** Issued certificates and the CRL number, in the store. */
public interface CertificateRepository {

    /** The SQL implementation, for both engines. */
    static CertificateRepository jdbi() {
        return new JdbiCertificateRepository();
    }

    /** @throws dev.drawbridge.controller.store.StoreConflict when the serial is taken */
    void insert(Handle h, CertificateRecord certificate);

    Optional<CertificateRecord> find(Handle h, String serialHex);

    /** The node's certificates, oldest first. */
    List<CertificateRecord> byNode(Handle h, String nodeId);

    /** Revokes the certificate; false when it is unknown or already revoked (the first revocation stands). */
    boolean revoke(Handle h, String serialHex, Instant at, int reasonCode);

    /** Every revoked certificate, for the CRL. */
    List<CertificateRecord> revoked(Handle h);

    /** Serials (hex) of certificates revoked at or after {@code since} (epoch ms), with when (epoch ms). */
    List<Map.Entry<String, Long>> revokedSince(Handle h, long since);

    /** The next CRL number (RFC 5280 section 5.2.3): 1, 2, 3, ..., never handed out twice. */
    long nextCrlNumber(Handle h);
}
