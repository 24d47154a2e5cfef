package dev.drawbridge.agent;

import java.util.Map;

/**
 * What a command that succeeded returns, and what to do once its SUCCEEDED status is recorded: installing a
 * certificate switches TLS only then, so the conductor finds the result when it comes back over mTLS.
 */
record Outcome(Map<String, Object> result, Runnable afterRecorded) {
    Outcome {
        result = Map.copyOf(result);
    }

    static Outcome of(Map<String, Object> result) {
        return new Outcome(result, () -> { });
    }
}
