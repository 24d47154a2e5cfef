package dev.drawbridge.controller.enroll;

import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.store.Database;
import java.util.List;
import java.util.Optional;

/** Look-ups of issued certificates for the API, each in its own read. */
public final class IssuedCertificates {
    private final Database db;
    private final NodeRepository nodes;
    private final CertificateRepository certificates;

    public IssuedCertificates(Database db, NodeRepository nodes, CertificateRepository certificates) {
        this.db = db;
        this.nodes = nodes;
        this.certificates = certificates;
    }

    /** The certificates of a node (by id or name), oldest first; empty when there is no such node. */
    public Optional<List<CertificateRecord>> ofNode(String idOrName) {
        return db.read(h -> nodes.find(h, idOrName).map(n -> certificates.byNode(h, n.id())));
    }

    /** A certificate by its serial (lower-case hex). */
    public Optional<CertificateRecord> find(String serialHex) {
        return db.read(h -> certificates.find(h, serialHex));
    }

    /** Whether a certificate with this serial was issued here and is not revoked. */
    public boolean current(String serialHex) {
        return find(serialHex).map(r -> r.revokedAt().isEmpty()).orElse(false);
    }
}
