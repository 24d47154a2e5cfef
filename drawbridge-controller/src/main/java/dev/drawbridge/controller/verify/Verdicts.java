package dev.drawbridge.controller.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.inventory.VerdictColumns;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.protocol.Wire;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Handle;

/**
 * Attestation verdicts: each one is written (history row, the node's latest verdict, and an audit event
 * when it changes) before anything acts on it. Reading a verdict applies its maximum age.
 */
public final class Verdicts {
    private static final ObjectMapper JSON = Wire.JSON;
    private final Database db;
    private final AuditLog audit;
    private final Clock clock;
    private final Duration maxAge;
    /** Per node, the verdict of its last full record and how many routine polls have repeated it since. */
    private final Map<String, Streak> routine = new ConcurrentHashMap<>();
    /** Repeated verdicts whose {@code verdict_at} refresh waits for the next {@link #flush()}. */
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    private record Streak(String verdict, int count) {
    }

    /** A repeat waiting for the batch: its {@code verdict_at}, and on every {@link #HISTORY_EVERY}th its history row. */
    private record Pending(String verdict, long at, Optional<History> history) {
        /** The newer repeat, keeping a history row the older one still owes. */
        Pending after(Pending older) {
            return history.isPresent() || older.history.isEmpty() ? this : new Pending(verdict, at, older.history);
        }
    }

    private record History(String id, long at, String reasons, String nonce, Optional<String> pcrs) {
    }
    /** A repeated verdict still gets a history row every this many routine polls (5 minutes at 10 s). */
    static final int HISTORY_EVERY = 30;

    public Verdicts(Database db, AuditLog audit, Clock clock, Duration maxAge) {
        this.db = db;
        this.audit = audit;
        this.clock = clock;
        this.maxAge = maxAge;
    }

    /** One verdict to record, with the PCR values its quote proved (JSON of PCR index to hex), when it proved any. */
    private record Observed(Trust verdict, List<String> reasons, String nonceHex, Optional<String> provenPcrs) {
        static Observed of(QuoteJudge.Judgement j, String nonceHex) {
            return new Observed(j.trusted() ? Trust.TRUSTED : Trust.UNTRUSTED, j.reasons(), nonceHex,
                    j.proven().map(Verdicts::json));
        }
    }

    /** Records a verdict reached without a quote (no PCR values proved). */
    public AttestationRecord record(String nodeId, String nodeName, Trust verdict, List<String> reasons, String nonceHex) {
        return record(nodeId, nodeName, new Observed(verdict, reasons, nonceHex, Optional.empty()));
    }

    /** Records a judged quote over the nonce {@code nonceHex}, with the PCR values it proved. */
    public AttestationRecord record(String nodeId, String nodeName, QuoteJudge.Judgement judged, String nonceHex) {
        return record(nodeId, nodeName, Observed.of(judged, nonceHex));
    }

    private AttestationRecord record(String nodeId, String nodeName, Observed o) {
        Trust verdict = o.verdict();
        List<String> reasons = o.reasons();
        String nonceHex = o.nonceHex();
        Instant now = clock.instant();
        routine.remove(nodeId);
        // A repeat still waiting for the batch is superseded, but a history row it owes is a past fact: kept.
        Optional<Pending> owed = Optional.ofNullable(pending.remove(nodeId)).filter(p -> p.history().isPresent());
        AttestationRecord rec = new AttestationRecord(UUID.randomUUID().toString(), nodeId, now, verdict, reasons,
                nonceHex);
        db.inTransaction(h -> {
            owed.ifPresent(p -> insertHistory(h, List.of(Map.entry(nodeId, p))));
            String previous = VerdictColumns.verdict(h, nodeId).map(VerdictColumns.Stored::verdict).orElse("");
            h.createUpdate("INSERT INTO attestations (id, node_id, at, verdict, reasons, nonce, pcrs)"
                            + " VALUES (:id, :node, :at, :verdict, :reasons, :nonce, :pcrs)")
                    .bind("pcrs", o.provenPcrs().orElse(null))
                    .bind("id", rec.id()).bind("node", nodeId).bind("at", now.toEpochMilli())
                    .bind("verdict", verdict.wire()).bind("reasons", write(reasons)).bind("nonce", nonceHex).execute();
            VerdictColumns.setVerdict(h, nodeId, verdict.wire(), now.toEpochMilli());
            if (!verdict.wire().equals(previous)) {
                audit.append(h, "attestation", nodeName, verdict.wire(), Map.of("node", nodeId, "reasons",
                        String.join("; ", reasons)), now);
            }
            return null;
        });
        return rec;
    }

    /**
     * A verdict from a routine poll. When it repeats the verdict of the node's last full record, nothing is written
     * now: the refresh of {@code verdict_at} waits for the next {@link #flush()} (a hot fact, batched), and so does
     * the history row written every {@link #HISTORY_EVERY}th time. A changed verdict, or the first one since
     * this controller started, is recorded in full before this returns, so a node that turns untrusted is on
     * record before anything acts on it. Returns whether a full record was written.
     */
    public boolean recordRoutine(String nodeId, String nodeName, Trust verdict, List<String> reasons, String nonceHex) {
        return recordRoutine(nodeId, nodeName, new Observed(verdict, reasons, nonceHex, Optional.empty()));
    }

    /** {@link #recordRoutine(String, String, Trust, List, String)} for a judged quote, with the PCRs it proved. */
    public boolean recordRoutine(String nodeId, String nodeName, QuoteJudge.Judgement judged, String nonceHex) {
        return recordRoutine(nodeId, nodeName, Observed.of(judged, nonceHex));
    }

    private boolean recordRoutine(String nodeId, String nodeName, Observed o) {
        Trust verdict = o.verdict();
        Streak streak = routine.get(nodeId);
        if (streak != null && streak.verdict().equals(verdict.wire())) {
            boolean historyDue = streak.count() >= HISTORY_EVERY;
            long at = clock.instant().toEpochMilli();
            routine.put(nodeId, new Streak(streak.verdict(), historyDue ? 1 : streak.count() + 1));
            Optional<History> history = historyDue ? Optional.of(new History(UUID.randomUUID().toString(), at,
                    write(o.reasons()), o.nonceHex(), o.provenPcrs())) : Optional.empty();
            pending.merge(nodeId, new Pending(verdict.wire(), at, history), (older, newer) -> newer.after(older));
            return false;
        }
        record(nodeId, nodeName, o);
        routine.put(nodeId, new Streak(verdict.wire(), 1));
        return true;
    }

    /**
     * Writes the waiting repeats in one transaction: the history rows they owe, and each {@code verdict_at}
     * refresh only where the stored verdict is still the repeated one (a verdict written meanwhile, by a fence or
     * an operator, wins; that node's next routine verdict is then recorded in full). Returns how many were waiting.
     */
    public int flush() {
        if (pending.isEmpty()) {
            return 0;
        }
        List<Map.Entry<String, Pending>> batch = new ArrayList<>();
        // In node-id order, as placement locks node rows, so the two never deadlock on PostgreSQL.
        for (String id : new TreeSet<>(pending.keySet())) {
            Pending p = pending.remove(id);
            if (p != null) {
                batch.add(Map.entry(id, p));
            }
        }
        int[] updated;
        try {
            updated = db.inTransaction(h -> {
                int[] counts = VerdictColumns.refresh(h, batch.stream().map(e -> new VerdictColumns.Refresh(
                        e.getKey(), e.getValue().verdict(), e.getValue().at())).toList());
                insertHistory(h, batch);
                return counts;
            });
        } catch (RuntimeException e) {
            // Nothing of the batch was written: it waits for the next flush, behind anything newer.
            batch.forEach(e2 -> pending.merge(e2.getKey(), e2.getValue(), (newer, older) -> newer.after(older)));
            throw e;
        }
        for (int i = 0; i < updated.length; i++) {
            if (updated[i] == 0) {
                routine.remove(batch.get(i).getKey());
            }
        }
        return batch.size();
    }

    /** Inserts the history rows these repeats owe (a repeat that was seen is history even if since replaced). */
    private static void insertHistory(Handle h, List<Map.Entry<String, Pending>> repeats) {
        var insert = h.prepareBatch("INSERT INTO attestations (id, node_id, at, verdict, reasons, nonce, pcrs)"
                + " VALUES (:id, :node, :at, :verdict, :reasons, :nonce, :pcrs)");
        int rows = 0;
        for (Map.Entry<String, Pending> e : repeats) {
            for (History hist : e.getValue().history().stream().toList()) {
                insert.bind("id", hist.id()).bind("node", e.getKey()).bind("at", hist.at())
                        .bind("verdict", e.getValue().verdict()).bind("reasons", hist.reasons())
                        .bind("nonce", hist.nonce()).bind("pcrs", hist.pcrs().orElse(null)).add();
                rows++;
            }
        }
        if (rows > 0) {
            insert.execute();
        }
    }

    /** A node's latest verdict and when it was made. */
    public record Latest(Trust verdict, Instant at) {}

    /** The node's latest verdict, however old; empty when it has none. */
    public Optional<Latest> latest(String nodeId) {
        return db.read(h -> VerdictColumns.verdict(h, nodeId)).map(v -> new Latest(
                Trust.valueOf(v.verdict().toUpperCase(Locale.ROOT)), Instant.ofEpochMilli(v.at())));
    }

    /** The node's verdict now: its latest, or unknown when there is none or it is older than the maximum age. */
    public Trust current(String nodeId) {
        return db.read(h -> VerdictColumns.verdict(h, nodeId))
                .filter(v -> !clock.instant().minus(maxAge).isAfter(Instant.ofEpochMilli(v.at())))
                .map(v -> Trust.valueOf(v.verdict().toUpperCase(Locale.ROOT))).orElse(Trust.UNKNOWN);
    }

    public List<AttestationRecord> history(String nodeId, int limit) {
        return db.read(h -> h.createQuery("SELECT id, node_id, at, verdict, reasons, nonce FROM attestations"
                        + " WHERE node_id = :id ORDER BY at DESC LIMIT :limit")
                .bind("id", nodeId).bind("limit", limit)
                .map((rs, ctx) -> new AttestationRecord(rs.getString("id"), rs.getString("node_id"),
                        Instant.ofEpochMilli(rs.getLong("at")), Trust.valueOf(rs.getString("verdict")
                        .toUpperCase(Locale.ROOT)), read(rs.getString("reasons")), rs.getString("nonce")))
                .list());
    }

    /** The latest verdict made after {@code since}, if any: readmission needs a passing one after the fence. */
    public Optional<AttestationRecord> latestSince(String nodeId, Instant since) {
        return history(nodeId, 1).stream().filter(r -> r.at().isAfter(since)).findFirst();
    }

    /**
     * Accepts the PCR values of the node's latest attestation as its new reference values, after a planned
     * update: the record says who approved it and why. Only values a quote proved (good signature, nonce and
     * digest) can be accepted.
     */
    public Map<String, String> acceptBaseline(String nodeId, String nodeName, String approver, String reason) {
        Instant now = clock.instant();
        return db.inTransaction(h -> {
            var latest = h.createQuery("SELECT id, pcrs FROM attestations WHERE node_id = :n ORDER BY at DESC LIMIT 1")
                    .bind("n", nodeId).map((rs, ctx) -> Map.entry(rs.getString("id"), Optional.ofNullable(rs.getString("pcrs"))))
                    .findFirst().orElseThrow(() -> new IllegalStateException(nodeName + " has not been attested yet"));
            String pcrs = latest.getValue().orElseThrow(() -> new IllegalStateException("the latest attestation of "
                    + nodeName + " proved no PCR values (bad signature, nonce or digest): nothing to accept"));
            // updated_at moves so the conductor's cached schedule picks up the new reference values at once.
            VerdictColumns.setReference(h, nodeId, pcrs, now.toEpochMilli());
            audit.append(h, "baseline.accept", nodeName, "granted", Map.of("approved_by", approver, "reason", reason,
                    "attestation", latest.getKey(), "pcrs", pcrs), now);
            return Map.of("attestation", latest.getKey(), "pcrs", pcrs);
        });
    }

    /**
     * Sets a node group's golden values (replacing the group's previous set), recorded with who and why.
     * PCR values must be 64 hex digits (SHA-256 bank) and PCR indices 0..23.
     */
    public void setGolden(String group, Map<Integer, String> pcrs, String approver, String reason) {
        Instant now = clock.instant();
        pcrs.forEach((pcr, hex) -> {
            if (pcr < 0 || pcr > 23 || !hex.matches("[0-9a-fA-F]{64}")) {
                throw new IllegalArgumentException("PCR " + pcr + " must be 0..23 with a 64-hex-digit SHA-256 value");
            }
        });
        db.inTransaction(h -> {
            h.createUpdate("DELETE FROM golden_values WHERE node_group = :g").bind("g", group).execute();
            pcrs.forEach((pcr, hex) -> h.createUpdate("INSERT INTO golden_values (node_group, pcr, value_hex,"
                            + " approved_by, reason, set_at) VALUES (:g, :p, :v, :a, :r, :at)")
                    .bind("g", group).bind("p", pcr).bind("v", hex.toLowerCase(Locale.ROOT))
                    .bind("a", approver).bind("r", reason).bind("at", now.toEpochMilli()).execute());
            return audit.append(h, "golden.set", group, "granted", Map.of("approved_by", approver, "reason", reason,
                    "pcrs", pcrs.toString()), now);
        });
    }

    /** Every group's golden values: group → PCR → hex. */
    public Map<String, Map<Integer, String>> golden() {
        Map<String, Map<Integer, String>> out = new HashMap<>();
        db.read(h -> h.createQuery("SELECT node_group, pcr, value_hex FROM golden_values")
                .map((rs, ctx) -> {
                    out.computeIfAbsent(rs.getString("node_group"), g -> new TreeMap<>())
                            .put(rs.getInt("pcr"), rs.getString("value_hex"));
                    return 0;
                }).list());
        return out;
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

    private static String json(Map<Integer, String> pcrs) {
        try {
            return Wire.JSON.writeValueAsString(pcrs);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
