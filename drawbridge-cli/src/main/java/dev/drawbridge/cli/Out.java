package dev.drawbridge.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

/** Prints answers: pretty JSON with {@code --json}, otherwise short lines for people. */
final class Out {
    private Out() {}

    static void json(Object value) {
        try {
            System.out.println(ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isMissingNode() || v.isNull() ? "-" : v.isTextual() ? v.asText() : v.toString();
    }

    static void nodeLine(JsonNode n) {
        System.out.printf("%-24s %-12s %-36s %s%n", text(n, "name"), text(n, "state"), text(n, "id"),
                String.join(",", ApiClient.JSON.convertValue(n.path("macs"), String[].class)));
    }

    static void nodeDetail(JsonNode n) {
        for (String f : new String[] {"name", "id", "state", "reason", "macs", "labels", "bmc_address",
                "agent_address", "created_at", "updated_at"}) {
            System.out.printf("%-14s %s%n", f + ":", text(n, f));
        }
    }
}
