package dev.drawbridge.agent;

import java.time.Instant;
import java.util.Map;

/**
 * A peering agent's last call to its controller's peer API.
 *
 * @param at      when
 * @param status  {@code ok}, {@code refused}, or {@code waiting} (not enrolled yet, or not approved yet)
 * @param detail  what happened, in words
 * @param answers on {@code ok}: each peer route's answer (identity, health, verdict) as parsed JSON
 */
public record PeerOutcome(Instant at, String status, String detail, Map<String, Object> answers) {
    public PeerOutcome {
        answers = Map.copyOf(answers);
    }
}
