package dev.drawbridge.controller.api;

import dev.drawbridge.controller.store.Database;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every row of the state tables (not the audit trail, which records refusals on purpose). */
record StoreSnapshot(Map<String, List<Map<String, Object>>> tables) {
    private static final List<String> TABLES = List.of("nodes", "enrollment_tickets", "certificates", "counters",
            "instances", "attestations", "fences", "fence_steps", "golden_values");

    static StoreSnapshot of(Database db) {
        return new StoreSnapshot(db.inTransaction(h -> {
            var out = new LinkedHashMap<String, List<Map<String, Object>>>();
            for (String t : TABLES) {
                out.put(t, h.createQuery("SELECT * FROM " + t + " ORDER BY 1").mapToMap().list());
            }
            return out;
        }));
    }
}
