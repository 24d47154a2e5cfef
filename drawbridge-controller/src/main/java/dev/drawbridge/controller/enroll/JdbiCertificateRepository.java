package dev.drawbridge.controller.enroll;

import dev.drawbridge.controller.store.StoreException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.statement.StatementContext;

/** {@link CertificateRepository} over the {@code certificates} table and the {@code crl_number} counter. */
final class JdbiCertificateRepository implements CertificateRepository {
    private static final String COLUMNS =
            "serial_hex, node_id, profile, subject, not_before, not_after, revoked_at, reason_code, pem";

    @Override
    public void insert(Handle h, CertificateRecord c) {
        try {
            h.createUpdate("INSERT INTO certificates (" + COLUMNS + ") VALUES (:serial, :node, :profile, :subject,"
                            + " :notBefore, :notAfter, :revokedAt, :reason, :pem)")
                    .bind("serial", c.serialHex())
                    .bind("node", c.nodeId().orElse(null))
                    .bind("profile", c.profile())
                    .bind("subject", c.subject())
                    .bind("notBefore", c.notBefore().toEpochMilli())
                    .bind("notAfter", c.notAfter().toEpochMilli())
                    .bind("revokedAt", c.revokedAt().map(Instant::toEpochMilli).orElse(null))
                    .bind("reason", c.reasonCode())
                    .bind("pem", c.pem())
                    .execute();
        } catch (JdbiException e) {
            throw StoreException.from(e);
        }
    }

    @Override
    public Optional<CertificateRecord> find(Handle h, String serialHex) {
        return h.createQuery("SELECT " + COLUMNS + " FROM certificates WHERE serial_hex = :serial")
                .bind("serial", serialHex)
                .map(JdbiCertificateRepository::map)
                .findFirst();
    }

    @Override
    public List<CertificateRecord> byNode(Handle h, String nodeId) {
        return h.createQuery("SELECT " + COLUMNS + " FROM certificates WHERE node_id = :node"
                        + " ORDER BY not_before, serial_hex")
                .bind("node", nodeId)
                .map(JdbiCertificateRepository::map)
                .list();
    }

    @Override
    public boolean revoke(Handle h, String serialHex, Instant at, int reasonCode) {
        // Guarded on revoked_at so a second revocation cannot rewrite the first one's time or reason.
        return h.createUpdate("UPDATE certificates SET revoked_at = :at, reason_code = :reason"
                        + " WHERE serial_hex = :serial AND revoked_at IS NULL")
                .bind("at", at.toEpochMilli())
                .bind("reason", reasonCode)
                .bind("serial", serialHex)
                .execute() == 1;
    }

    @Override
    public List<CertificateRecord> revoked(Handle h) {
        return h.createQuery("SELECT " + COLUMNS + " FROM certificates WHERE revoked_at IS NOT NULL"
                        + " ORDER BY revoked_at, serial_hex")
                .map(JdbiCertificateRepository::map)
                .list();
    }

    @Override
    public long nextCrlNumber(Handle h) {
        // Increment first: the UPDATE's row lock (the write lock on SQLite) makes the read that
        // follows see only this caller's value, with no gap between read and write.
        return h.inTransaction(tx -> {
            tx.createUpdate("UPDATE counters SET value = value + 1 WHERE name = 'crl_number'").execute();
            return tx.createQuery("SELECT value FROM counters WHERE name = 'crl_number'").mapTo(Long.class).one();
        });
    }

    private static CertificateRecord map(ResultSet rs, StatementContext ctx) throws SQLException {
        long revoked = rs.getLong("revoked_at");
        Optional<Instant> revokedAt = rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(revoked));
        return new CertificateRecord(rs.getString("serial_hex"), Optional.ofNullable(rs.getString("node_id")),
                rs.getString("profile"), rs.getString("subject"), Instant.ofEpochMilli(rs.getLong("not_before")),
                Instant.ofEpochMilli(rs.getLong("not_after")), revokedAt, rs.getInt("reason_code"), rs.getString("pem"));
    }

    @Override
    public List<Map.Entry<String, Long>> revokedSince(Handle h, long since) {
        return h.createQuery("SELECT serial_hex, revoked_at FROM certificates WHERE revoked_at IS NOT NULL"
                        + " AND revoked_at >= :since")
                .bind("since", since).map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2))).list();
    }
}
