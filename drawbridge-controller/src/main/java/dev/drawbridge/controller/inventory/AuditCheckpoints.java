package dev.drawbridge.controller.inventory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.pki.Jws;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Anchors the audit chain outside the database. The hash chain alone finds an edited, deleted or reordered row, but
 * not a tail deleted with the head rewound, nor a chain recomputed after an edit: whoever can write the database can
 * rewrite the chain. So the controller signs the head (seq and hash) with the CA key every minute and at every stop,
 * appends it to {@code audit-checkpoints.jsonl} in the data directory, and logs it; {@link #verify} checks a chain
 * against the newest checkpoint whose signature holds, and names the first bad row or the missing tail.
 */
public final class AuditCheckpoints {
    private static final Logger LOG = LoggerFactory.getLogger(AuditCheckpoints.class);
    public static final String FILE = "audit-checkpoints.jsonl";
    private final Database db;
    private final Path file;
    private final UnaryOperator<String> sign;
    private final Clock clock;
    private long lastSeq = -1;

    /** {@code sign} makes a compact JWS of a JSON text with the CA key. */
    public AuditCheckpoints(Database db, Path file, UnaryOperator<String> sign, Clock clock) {
        this.db = db;
        this.file = file;
        this.sign = sign;
        this.clock = clock;
    }

    /** Signs and appends the current head, unless it is the one written last. */
    public synchronized void write() {
        Map<String, Object> head = db.read(h -> h.createQuery("SELECT seq, hash FROM audit_head WHERE id = 1")
                .mapToMap().one());
        long seq = ((Number) head.get("seq")).longValue();
        if (seq == lastSeq) {
            return;
        }
        String hash = String.valueOf(head.get("hash"));
        try {
            String claims = Wire.JSON.writeValueAsString(Map.of("v", 1, "seq", seq, "hash", hash,
                    "at", clock.instant().toString()));
            byte[] line = (sign.apply(claims) + "\n").getBytes(StandardCharsets.US_ASCII);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND)) {
                ch.write(ByteBuffer.wrap(line));
                ch.force(true);
            }
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            lastSeq = seq;
            LOG.info("audit checkpoint: seq {} hash {}", seq, hash);
        } catch (IOException e) {
            LOG.warn("cannot write the audit checkpoint to {}: {}", file, e.toString());
        }
    }

    /** What {@link #verify} found: ok, or the first bad seq and why. */
    public record Result(boolean ok, Optional<Long> firstBad, String message, long events, long checkpointSeq) {}

    /**
     * Checks {@code events} (the whole trail, in seq order) link by link and against the newest checkpoint in
     * {@code checkpointLines} whose signature verifies with {@code root}: the event at the checkpoint's seq must
     * exist and carry the checkpointed hash.
     */
    public static Result verify(List<AuditEvent> events, List<String> checkpointLines, X509Certificate root) {
        if (!events.isEmpty() && events.getFirst().seq() != 1) {
            return new Result(false, Optional.of(1L), "the trail starts at seq " + events.getFirst().seq()
                    + ": rows before it were deleted", events.size(), 0);
        }
        Optional<Long> broken = AuditChain.verify(events);
        long checkpointSeq = 0;
        String checkpointHash = AuditChain.GENESIS;
        int unsigned = 0;
        for (String line : checkpointLines) {
            if (line.isBlank()) {
                continue;
            }
            Optional<String> claims = Jws.verify(line.strip(), root);
            if (claims.isEmpty()) {
                unsigned++;
                continue;
            }
            try {
                JsonNode c = Wire.JSON.readTree(claims.get());
                if (c.path("seq").asLong() >= checkpointSeq) {
                    checkpointSeq = c.path("seq").asLong();
                    checkpointHash = c.path("hash").asText();
                }
            } catch (IOException e) {
                unsigned++;
            }
        }
        if (broken.isPresent()) {
            return new Result(false, broken, "row seq " + broken.get() + " does not check out: it was edited, or a "
                    + "row before it was deleted or moved", events.size(), checkpointSeq);
        }
        long last = events.isEmpty() ? 0 : events.getLast().seq();
        if (checkpointSeq > last) {
            return new Result(false, Optional.of(last + 1), "the signed checkpoint is at seq " + checkpointSeq
                    + " but the trail ends at seq " + last + ": rows " + (last + 1) + ".." + checkpointSeq
                    + " were removed", events.size(), checkpointSeq);
        }
        if (checkpointSeq > 0) {
            AuditEvent at = events.get((int) (checkpointSeq - 1));
            if (!at.hash().equals(checkpointHash)) {
                // The chain links but does not match what was signed: it was recomputed after a change at or before
                // the checkpoint. Name the first row whose hash is not the one the original chain would lead to.
                return new Result(false, Optional.of(checkpointSeq), "row seq " + checkpointSeq + " has hash "
                        + at.hash() + " but the signed checkpoint says " + checkpointHash + ": the chain was recomputed"
                        + " after rows up to seq " + checkpointSeq + " were changed", events.size(), checkpointSeq);
            }
        }
        String note = checkpointSeq == 0 ? "; no signed checkpoint found, so a removed tail would not show"
                : unsigned > 0 ? "; " + unsigned + " checkpoint line(s) did not verify and were ignored" : "";
        return new Result(true, Optional.empty(), events.size() + " events link up; the newest signed checkpoint (seq "
                + checkpointSeq + ") matches" + note, events.size(), checkpointSeq);
    }

    /** Reads every event of the trail, in seq order. */
    public static List<AuditEvent> all(Database db, AuditLog audit) {
        List<AuditEvent> out = new ArrayList<>();
        long after = 0;
        while (true) {
            long from = after;
            List<AuditEvent> page = db.read(h -> audit.list(h, from, 1000));
            if (page.isEmpty()) {
                return out;
            }
            out.addAll(page);
            after = page.getLast().seq();
        }
    }
}
