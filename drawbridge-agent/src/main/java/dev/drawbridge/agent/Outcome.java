package dev.drawbridge.agent;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.drawbridge.protocol.Wire;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a command that succeeded returns, and what to do once its SUCCEEDED status is recorded: installing a
 * certificate switches TLS only then, so the conductor finds the result when it comes back over mTLS.
 */
record Outcome(Map<String, Object> result, Runnable afterRecorded) {
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() { };

    Outcome {
        result = Map.copyOf(result);
    }

    static Outcome of(Map<String, Object> result) {
        return new Outcome(result, () -> { });
    }

    /**
     * A result the protocol module has a record for, written as the controller will read it (snake_case keys); an
     * absent optional field is left out rather than sent as null.
     */
    static Outcome of(Record typed) {
        Map<String, Object> fields = Wire.JSON.convertValue(typed, MAP);
        fields.values().removeIf(Objects::isNull);
        return of(fields);
    }
}
