package dev.drawbridge.oauth;

import java.util.Map;

/** Where the authorization server records what it decided; the controller writes these to its audit trail. */
@FunctionalInterface
public interface AuditSink {
    void record(String kind, String subject, String outcome, Map<String, String> detail);
}
