package dev.drawbridge.controller.inventory;

import java.time.Instant;
import java.util.Map;

/**
 * One decision in the audit trail. {@code hash} = SHA-256 over the previous event's hash and this
 * event's canonical content, so an edited or deleted event breaks the chain.
 */
public record AuditEvent(long seq, Instant at, String kind, String subject, String outcome, Map<String, String> detail,
                         String prevHash, String hash) {
    public AuditEvent {
        detail = Map.copyOf(detail);
    }
}
