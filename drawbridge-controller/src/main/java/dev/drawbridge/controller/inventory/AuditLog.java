package dev.drawbridge.controller.inventory;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * The tamper-evident audit trail (DESIGN.md principle 2): one hash chain per store.
 *
 * <p>Each event's {@code hash} is the lower-case hex SHA-256 of the UTF-8 bytes of
 * {@code prevHash + canonical}, where {@code canonical} is the compact JSON array
 * {@code [seq, atEpochMillis, kind, subject, outcome, {detail with keys sorted}]}. The first
 * event's {@code prevHash} is 64 zeros. An edited, inserted or deleted event breaks the chain at
 * that point, which {@link #verify(List)} finds without a database.
 */
public interface AuditLog {

    /** The SQL implementation, for both engines. */
    static AuditLog jdbi() {
        return new JdbiAuditLog();
    }

    /** Appends an event at the head of the chain; concurrent appenders are serialised on the head row. */
    AuditEvent append(Handle h, String kind, String subject, String outcome, Map<String, String> detail, Instant at);

    /** Up to {@code limit} events with seq greater than {@code afterSeq}, in seq order. */
    List<AuditEvent> list(Handle h, long afterSeq, int limit);

    /**
     * Checks a run of consecutive events: each hash, each link to the event before it, and that no
     * seq is missing. A run may start mid-chain; its first link is then taken on trust.
     *
     * @return the seq of the first event that does not check out, or empty when all do
     */
    static Optional<Long> verify(List<AuditEvent> events) {
        return AuditChain.verify(events);
    }
}
