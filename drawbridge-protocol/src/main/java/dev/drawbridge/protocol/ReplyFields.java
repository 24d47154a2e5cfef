package dev.drawbridge.protocol;

import java.util.Optional;

/** Checks for the fields of command results: a required one present and not blank, an optional one never null. */
final class ReplyFields {
    private ReplyFields() {}

    static String required(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("'" + field + "' is missing");
        }
        return value;
    }

    static Optional<String> optional(Optional<String> value) {
        return value == null ? Optional.empty() : value.filter(v -> !v.isBlank());
    }
}
