package dev.drawbridge.controller.verify;

import java.time.Instant;
import java.util.List;

/** One attestation of a node: when, with which nonce, the verdict and every reason behind it. */
public record AttestationRecord(String id, String nodeId, Instant at, Trust verdict, List<String> reasons,
                                String nonceHex) {
    public AttestationRecord {
        reasons = List.copyOf(reasons);
    }
}
