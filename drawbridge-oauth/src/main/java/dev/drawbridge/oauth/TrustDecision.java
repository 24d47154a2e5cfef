package dev.drawbridge.oauth;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Locale;

/**
 * The trust policy's answer for a registration: {@code trusted} (the client is enabled), {@code needs-approval}
 * (created disabled; only an operator's approval through the device flow enables it) or {@code denied}, with the
 * reason for each factor it weighed.
 */
public record TrustDecision(Answer answer, List<Factor> factors, Optional<String> nodeId) {
    public TrustDecision {
        factors = List.copyOf(factors);
    }

    /** This decision with one more factor and, if {@code to} is stricter than the answer so far, that answer. */
    public TrustDecision with(Factor factor, Answer to) {
        List<Factor> more = new ArrayList<>(factors);
        more.add(factor);
        return new TrustDecision(to.ordinal() > answer.ordinal() ? to : answer, more, nodeId);
    }

    /** The decision as JSON-ready fields: the answer and each factor. */
    public Map<String, Object> toMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("answer", answer.wire());
        List<Map<String, String>> list = new ArrayList<>();
        for (Factor f : factors) {
            list.add(Map.of("factor", f.name(), "outcome", f.outcome(), "reason", f.reason()));
        }
        out.put("factors", list);
        nodeId.ifPresent(n -> out.put("node_id", n));
        return out;
    }

    public enum Answer {
        TRUSTED, NEEDS_APPROVAL, DENIED;

        public String wire() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** One factor: its name (network, chain, statement, operator, attestation), what it concluded, and why. */
    public record Factor(String name, String outcome, String reason) {}

    /** The reasons as one line, for error descriptions and logs. */
    public String summary() {
        StringBuilder b = new StringBuilder(answer.wire());
        for (Factor f : factors) {
            b.append("; ").append(f.name()).append(": ").append(f.outcome()).append(" (").append(f.reason()).append(')');
        }
        return b.toString();
    }
}
