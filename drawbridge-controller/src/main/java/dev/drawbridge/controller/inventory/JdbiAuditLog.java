package dev.drawbridge.controller.inventory;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementContext;

/** {@link AuditLog} over the {@code audit_events} table and its one-row {@code audit_head}. */
final class JdbiAuditLog implements AuditLog {

    @Override
    public AuditEvent append(Handle h, String kind, String subject, String outcome, Map<String, String> detail,
                             Instant now) {
        Instant at = Instant.ofEpochMilli(now.toEpochMilli());
        return h.inTransaction(tx -> {
            // Claim the next seq with an UPDATE before reading the head: on PostgreSQL the UPDATE
            // takes the row lock (as SELECT ... FOR UPDATE would, but in SQL SQLite also speaks),
            // and a waiting appender re-reads the committed head once it gets the lock. On SQLite
            // the transaction already holds the database write lock (BEGIN IMMEDIATE).
            tx.createUpdate("UPDATE audit_head SET seq = seq + 1 WHERE id = 1").execute();
            Head head = tx.createQuery("SELECT seq, hash FROM audit_head WHERE id = 1")
                    .map((rs, ctx) -> new Head(rs.getLong("seq"), rs.getString("hash")))
                    .one();
            String hash = AuditChain.hash(head.prevHash(), head.seq(), at, kind, subject, outcome, detail);
            AuditEvent event = new AuditEvent(head.seq(), at, kind, subject, outcome, detail, head.prevHash(), hash);
            tx.createUpdate("INSERT INTO audit_events (seq, occurred_at, kind, subject, outcome, detail, prev_hash, hash)"
                            + " VALUES (:seq, :at, :kind, :subject, :outcome, :detail, :prev, :hash)")
                    .bind("seq", event.seq())
                    .bind("at", at.toEpochMilli())
                    .bind("kind", kind)
                    .bind("subject", subject)
                    .bind("outcome", outcome)
                    .bind("detail", JsonColumns.write(detail))
                    .bind("prev", event.prevHash())
                    .bind("hash", hash)
                    .execute();
            tx.createUpdate("UPDATE audit_head SET hash = :hash WHERE id = 1").bind("hash", hash).execute();
            return event;
        });
    }

    @Override
    public List<AuditEvent> list(Handle h, long afterSeq, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
        return h.createQuery("SELECT seq, occurred_at, kind, subject, outcome, detail, prev_hash, hash"
                        + " FROM audit_events WHERE seq > :after ORDER BY seq LIMIT :limit")
                .bind("after", afterSeq)
                .bind("limit", limit)
                .map(JdbiAuditLog::map)
                .list();
    }

    private static AuditEvent map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new AuditEvent(rs.getLong("seq"), Instant.ofEpochMilli(rs.getLong("occurred_at")), rs.getString("kind"),
                rs.getString("subject"), rs.getString("outcome"), JsonColumns.stringMap(rs.getString("detail")),
                rs.getString("prev_hash"), rs.getString("hash"));
    }

    /** The head after claiming: the seq this append gets and the hash of the event before it. */
    private record Head(long seq, String prevHash) {}
}
