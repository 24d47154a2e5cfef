package dev.drawbridge.controller.enroll;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * An enrollment ticket as stored: only a hash of its one-time secret is kept, so a copy of the
 * store cannot enroll anything.
 */
public record StoredTicket(String id, String nodeId, byte[] secretHash, Instant expiresAt, Optional<Instant> usedAt,
                           Instant createdAt) {
    public StoredTicket {
        secretHash = secretHash.clone();
    }

    @Override
    public byte[] secretHash() {
        return secretHash.clone();
    }

    // Arrays compare by content, so records read back from the store equal the ones written.
    @Override
    public boolean equals(Object o) {
        return o instanceof StoredTicket t && id.equals(t.id) && nodeId.equals(t.nodeId)
                && Arrays.equals(secretHash, t.secretHash) && expiresAt.equals(t.expiresAt)
                && usedAt.equals(t.usedAt) && createdAt.equals(t.createdAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, nodeId, Arrays.hashCode(secretHash), expiresAt, usedAt, createdAt);
    }

    @Override
    public String toString() {
        return "StoredTicket[id=" + id + ", nodeId=" + nodeId + ", secretHash=" + HexFormat.of().formatHex(secretHash)
                + ", expiresAt=" + expiresAt + ", usedAt=" + usedAt + ", createdAt=" + createdAt + "]";
    }
}
