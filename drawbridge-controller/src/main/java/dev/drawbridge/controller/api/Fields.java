package dev.drawbridge.controller.api;

import java.util.Locale;
import java.time.format.DateTimeParseException;
import java.time.Duration;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Typed reads of JSON request fields; each failure is a 400 that names the field and what was expected. */
final class Fields {
    private final JsonNode node;

    private Fields(JsonNode node) {
        this.node = node;
    }

    /** Wraps a body and refuses any field not in {@code allowed}, so a misspelt field is never ignored. */
    static Fields of(JsonNode node, Set<String> allowed) {
        List<String> unknown = new ArrayList<>();
        node.fieldNames().forEachRemaining(n -> {
            if (!allowed.contains(n)) {
                unknown.add(n);
            }
        });
        if (!unknown.isEmpty()) {
            throw ApiException.badRequest("unknown field(s) " + unknown + "; allowed: " + allowed);
        }
        return new Fields(node);
    }

    boolean has(String name) {
        return node.has(name) && !node.get(name).isNull();
    }

    String string(String name) {
        return optionalString(name).orElseThrow(() -> ApiException.badRequest("field '" + name + "' is required"));
    }

    /**
     * A required free-text field that goes into the audit record (who approved, why): trimmed, not blank, at most
     * {@code max} characters, and printable (no control characters, no unpaired surrogates).
     */
    String text(String name, int max) {
        String v = string(name).strip();
        if (v.isEmpty()) {
            throw ApiException.badRequest("field '" + name + "' must not be blank");
        }
        if (v.length() > max) {
            throw ApiException.badRequest("field '" + name + "' is " + v.length() + " characters; at most " + max);
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (Character.isISOControl(c) || Character.isSurrogate(c) && !(Character.isHighSurrogate(c)
                    && i + 1 < v.length() && Character.isLowSurrogate(v.charAt(++i)))) {
                throw ApiException.badRequest("field '" + name + "' holds a control or invalid character at "
                        + "position " + i + "; use printable text");
            }
        }
        return v;
    }

    Optional<String> optionalString(String name) {
        if (!has(name)) {
            return Optional.empty();
        }
        JsonNode v = node.get(name);
        if (!v.isTextual()) {
            throw ApiException.badRequest("field '" + name + "' must be a string");
        }
        return Optional.of(v.asText());
    }

    long wholeNumber(String name) {
        if (!has(name) || !node.get(name).canConvertToLong() || !node.get(name).isIntegralNumber()) {
            throw ApiException.badRequest("field '" + name + "' must be a whole number");
        }
        return node.get(name).asLong();
    }

    Optional<List<String>> stringList(String name) {
        if (!has(name)) {
            return Optional.empty();
        }
        JsonNode v = node.get(name);
        if (!v.isArray()) {
            throw ApiException.badRequest("field '" + name + "' must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : v) {
            if (!item.isTextual()) {
                throw ApiException.badRequest("field '" + name + "' must contain only strings");
            }
            out.add(item.asText());
        }
        return Optional.of(out);
    }

    Optional<Map<String, String>> stringMap(String name) {
        if (!has(name)) {
            return Optional.empty();
        }
        JsonNode v = node.get(name);
        if (!v.isObject()) {
            throw ApiException.badRequest("field '" + name + "' must be an object of string values");
        }
        Map<String, String> out = new LinkedHashMap<>();
        var it = v.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (!e.getValue().isTextual()) {
                throw ApiException.badRequest("field '" + name + "." + e.getKey() + "' must be a string");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return Optional.of(out);
    }

    /** A duration such as {@code 30m}, {@code 2h} or {@code PT1H}, more than zero and at most {@code max}. */
    static Duration duration(String name, String text, Duration max) {
        Duration d;
        try {
            d = Duration.parse(text.startsWith("P") ? text : "PT" + text.toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("'" + name + "' must be a duration such as 30m, 2h or PT1H");
        }
        if (d.isNegative() || d.isZero() || d.compareTo(max) > 0) {
            throw ApiException.badRequest("'" + name + "' must be more than zero and at most " + max.toMinutes()
                    + " minutes");
        }
        return d;
    }
}
