package dev.drawbridge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.protocol.Wire;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A fence storm on the running scale fleet, end to end: {@code percent}% of the simulated nodes (seeded choice) have
 * PCR 7 drifted at one instant through the simulator's control file, and the controller finds them through its
 * ordinary polls. Reports, per victim, the time from its failed verdict (the untrusted attestation record) to
 * its evacuate step being finished (evacuation planned; the victims are manageable, so they run no instances),
 * how long detection took from the drift (bounded by the poll interval), and whether any node outside the
 * victim set was fenced.
 */
final class ScaleStorm {
    private static final Duration LIMIT = Duration.ofSeconds(90);
    private final HttpClient http;
    private final URI base;
    private final String token;
    private final List<Path> simDirs;
    private final int nodes;
    private final int percent;

    ScaleStorm(Path ctlDir, int port, List<Path> simDirs, int nodes, int percent) throws Exception {
        this.http = HttpClient.newBuilder().sslContext(TrustingTls.of(Files.readString(ctlDir.resolve("ca.pem")))).build();
        this.base = URI.create("https://127.0.0.1:" + port);
        this.token = Files.readString(ctlDir.resolve("admin.token")).strip();
        this.simDirs = List.copyOf(simDirs);
        this.nodes = nodes;
        this.percent = percent;
    }

    void run() throws Exception {
        List<String> names = new ArrayList<>();
        Map<String, Path> controlOf = new HashMap<>();
        for (Path dir : simDirs) {
            Wire.JSON.readTree(dir.resolve("fleet.json").toFile()).forEach(n -> {
                names.add(n.path("name").asText());
                controlOf.put(n.path("name").asText(), dir.resolve("control"));
            });
        }
        List<String> shuffled = new ArrayList<>(names);
        Collections.shuffle(shuffled, new Random(42));
        Set<String> victims = new HashSet<>(shuffled.subList(0, Math.max(1, names.size() * percent / 100)));
        Map<Path, StringBuilder> lines = new HashMap<>();
        victims.forEach(v -> lines.computeIfAbsent(controlOf.get(v), k -> new StringBuilder()).append("drift ")
                .append(v).append(" 7\n"));
        System.err.printf(Locale.ROOT, "bench-scale: storm: drifting PCR 7 of %d of %d nodes at once%n",
                victims.size(), names.size());
        Instant drifted = Instant.now();
        for (var e : lines.entrySet()) {
            Files.writeString(e.getKey(), e.getValue(), StandardOpenOption.APPEND);
        }

        Set<String> fenced = Set.of();
        Instant end = drifted.plus(LIMIT);
        while (Instant.now().isBefore(end)) {
            Thread.sleep(1000);
            fenced = fencedNodes();
            if (fenced.containsAll(victims)) {
                break;
            }
        }
        // Let any fence still running finish, then read every fenced node's record.
        Thread.sleep(2000);
        fenced = fencedNodes();
        List<Double> planned = new ArrayList<>();
        List<Double> detected = new ArrayList<>();
        for (String n : fenced) {
            if (!victims.contains(n)) {
                continue;
            }
            JsonNode fence = get("/v1/nodes/" + n + "/fences").path("items").get(0);
            Instant created = Instant.parse(fence.path("created_at").asText());
            Instant failed = null;
            for (JsonNode a : get("/v1/nodes/" + n + "/attestations").path("items")) {
                Instant at = Instant.parse(a.path("at").asText());
                if (a.path("verdict").asText().equals("untrusted") && !at.isAfter(created)
                        && (failed == null || at.isAfter(failed))) {
                    failed = at;
                }
            }
            Instant evacuated = null;
            for (JsonNode st : fence.path("steps")) {
                if (st.path("step").asText().equals("evacuate") && st.path("status").asText().equals("done")) {
                    evacuated = Instant.parse(st.path("updated_at").asText());
                }
            }
            if (failed != null && evacuated != null) {
                planned.add(Duration.between(failed, evacuated).toNanos() / 1e6);
            }
            detected.add(Duration.between(drifted, created).toNanos() / 1e9);
        }
        Collections.sort(planned);
        Collections.sort(detected);
        Set<String> healthyFenced = new HashSet<>(fenced);
        healthyFenced.removeAll(victims);
        double p99 = pct(planned, 0.99);
        double max = planned.isEmpty() ? Double.NaN : planned.getLast();
        boolean pass = planned.size() == victims.size() && healthyFenced.isEmpty() && max <= 2000;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("storm_nodes", nodes);
        out.put("storm_victims", victims.size());
        out.put("storm_victims_fenced_with_evacuation_planned", planned.size());
        out.put("storm_healthy_fenced", healthyFenced.size());
        out.put("storm_failed_to_planned_p50_ms", round(pct(planned, 0.5)));
        out.put("storm_failed_to_planned_p99_ms", round(p99));
        out.put("storm_failed_to_planned_max_ms", round(max));
        out.put("storm_drift_to_fence_p50_s", round(pct(detected, 0.5)));
        out.put("storm_drift_to_fence_max_s", round(detected.isEmpty() ? Double.NaN : detected.getLast()));
        out.put("storm_pass", pass);
        System.out.println(Wire.JSON.writeValueAsString(out));
        System.out.printf(Locale.ROOT, "storm: %d/%d victims fenced with evacuation planned, %d healthy nodes fenced;"
                        + " failed verdict -> evacuation planned p50 %.0f ms, p99 %.0f ms, max %.0f ms (target 2,000 ms);"
                        + " drift -> fence within %.1f s (poll interval); %s%n", planned.size(), victims.size(),
                healthyFenced.size(), pct(planned, 0.5), p99, max, detected.isEmpty() ? Double.NaN : detected.getLast(),
                pass ? "PASS" : "FAIL");
    }

    private Set<String> fencedNodes() throws Exception {
        Set<String> out = new HashSet<>();
        String after = null;
        do {
            JsonNode page = get("/v1/nodes?state=fenced&limit=1000" + (after == null ? "" : "&after=" + after));
            page.path("items").forEach(n -> out.add(n.path("name").asText()));
            after = page.path("next").isTextual() ? page.path("next").asText() : null;
        } while (after != null);
        return out;
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return Wire.JSON.readTree(r.body());
    }

    private static double pct(List<Double> sorted, double q) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

    private static double round(double v) {
        return Double.isNaN(v) ? -1 : Math.round(v * 10) / 10.0;
    }
}
