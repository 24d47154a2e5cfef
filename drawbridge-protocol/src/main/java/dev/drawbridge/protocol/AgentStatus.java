package dev.drawbridge.protocol;

import java.util.Optional;

/**
 * {@code GET /v1/status}. {@code identity} is {@code fresh} (self-signed TLS key, not enrolled) or
 * {@code enrolled} (CA-issued certificate, mTLS required); {@code tlsFingerprint} is the hex SHA-256 of
 * the agent's current TLS certificate's SubjectPublicKeyInfo.
 */
public record AgentStatus(String identity, Optional<String> nodeName, Optional<CommandStatus> current,
                          String tlsFingerprint, String version, String mode) {}
