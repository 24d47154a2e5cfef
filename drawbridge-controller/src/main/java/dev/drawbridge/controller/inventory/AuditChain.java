package dev.drawbridge.controller.inventory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The pure hashing rules of the audit chain, shared by the appender and the verifier (see {@link AuditLog}). */
final class AuditChain {
    static final String GENESIS = "0".repeat(64);

    private AuditChain() {}

    static String hash(String prevHash, long seq, Instant at, String kind, String subject, String outcome,
                       Map<String, String> detail) {
        String canonical = JsonColumns.write(List.of(seq, at.toEpochMilli(), kind, subject, outcome, new TreeMap<>(detail)));
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha256.digest((prevHash + canonical).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    static String hash(AuditEvent e) {
        return hash(e.prevHash(), e.seq(), e.at(), e.kind(), e.subject(), e.outcome(), e.detail());
    }

    static Optional<Long> verify(List<AuditEvent> events) {
        AuditEvent previous = null;
        for (AuditEvent e : events) {
            boolean linked = previous == null
                    ? e.seq() != 1 || GENESIS.equals(e.prevHash())
                    : e.seq() == previous.seq() + 1 && e.prevHash().equals(previous.hash());
            if (!linked || !hash(e).equals(e.hash())) {
                return Optional.of(e.seq());
            }
            previous = e;
        }
        return Optional.empty();
    }
}
