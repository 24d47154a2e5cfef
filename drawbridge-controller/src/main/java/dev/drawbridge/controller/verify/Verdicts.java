package dev.drawbridge.controller.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.store.Database;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Attestation verdicts: each one is written (history row, the node's latest verdict, and an audit event
 * when it changes) before anything acts on it. Reading a verdict applies its maximum age.
 */
public final class Verdicts {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Database db;
    private final AuditLog audit;
    private final Clock clock;
    private final Duration maxAge;

    public Verdicts(Database db, AuditLog audit, Clock clock, Duration maxAge) {
        this.db = db;
        this.audit = audit;
        this.clock = clock;
        this.maxAge = maxAge;
    }

    public AttestationRecord record(String nodeId, String nodeName, Verdict verdict, List<String> reasons, String nonceHex) {
        Instant now = clock.instant();
        AttestationRecord rec = new AttestationRecord(UUID.randomUUID().toString(), nodeId, now, verdict, reasons,
                nonceHex);
        db.inTransaction(h -> {
            String previous = h.createQuery("SELECT verdict FROM nodes WHERE id = :id").bind("id", nodeId)
                    .mapTo(String.class).findFirst().orElse("");
            h.createUpdate("INSERT INTO attestations (id, node_id, at, verdict, reasons, nonce)"
                            + " VALUES (:id, :node, :at, :verdict, :reasons, :nonce)")
                    .bind("id", rec.id()).bind("node", nodeId).bind("at", now.toEpochMilli())
                    .bind("verdict", verdict.wire()).bind("reasons", write(reasons)).bind("nonce", nonceHex).execute();
            h.createUpdate("UPDATE nodes SET verdict = :v, verdict_at = :at WHERE id = :id")
                    .bind("v", verdict.wire()).bind("at", now.toEpochMilli()).bind("id", nodeId).execute();
            if (!verdict.wire().equals(previous)) {
                audit.append(h, "attestation", nodeName, verdict.wire(), Map.of("node", nodeId, "reasons",
                        String.join("; ", reasons)), now);
            }
            return null;
        });
        return rec;
    }

    /** The node's verdict now: its latest, or unknown when there is none or it is older than the maximum age. */
    public Verdict current(String nodeId) {
        return db.inTransaction(h -> h.createQuery("SELECT verdict, verdict_at FROM nodes WHERE id = :id")
                .bind("id", nodeId).map((rs, ctx) -> {
                    String v = rs.getString("verdict");
                    long at = rs.getLong("verdict_at");
                    if (v == null || rs.wasNull() || clock.instant().minus(maxAge).isAfter(Instant.ofEpochMilli(at))) {
                        return Verdict.UNKNOWN;
                    }
                    return Verdict.valueOf(v.toUpperCase(java.util.Locale.ROOT));
                }).findFirst().orElse(Verdict.UNKNOWN));
    }

    public List<AttestationRecord> history(String nodeId, int limit) {
        return db.inTransaction(h -> h.createQuery("SELECT id, node_id, at, verdict, reasons, nonce FROM attestations"
                        + " WHERE node_id = :id ORDER BY at DESC LIMIT :limit")
                .bind("id", nodeId).bind("limit", limit)
                .map((rs, ctx) -> new AttestationRecord(rs.getString("id"), rs.getString("node_id"),
                        Instant.ofEpochMilli(rs.getLong("at")), Verdict.valueOf(rs.getString("verdict")
                        .toUpperCase(java.util.Locale.ROOT)), read(rs.getString("reasons")), rs.getString("nonce")))
                .list());
    }

    /** The latest verdict made after {@code since}, if any: readmission needs a passing one after the fence. */
    public Optional<AttestationRecord> latestSince(String nodeId, Instant since) {
        return history(nodeId, 1).stream().filter(r -> r.at().isAfter(since)).findFirst();
    }

    public Duration maxAge() {
        return maxAge;
    }

    private static String write(List<String> reasons) {
        try {
            return JSON.writeValueAsString(reasons);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> read(String json) {
        try {
            return JSON.readValue(json, new TypeReference<List<String>>() { });
        } catch (JsonProcessingException e) {
            return List.of("unreadable reasons");
        }
    }
}
