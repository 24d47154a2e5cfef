package dev.drawbridge.bench;

import dev.drawbridge.controller.Controller;
import dev.drawbridge.controller.config.ConductorConfig;
import dev.drawbridge.controller.config.ConfigLoader;
import dev.drawbridge.controller.config.ControllerConfig;
import dev.drawbridge.controller.inventory.NewNode;
import dev.drawbridge.controller.inventory.NodeRepository;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /v1/nodes?state=...} on a large inventory: a real controller on SQLite with N nodes (a quarter of
 * them in each of four states), timed over HTTPS with keyset paging of 1,000 per page. Usage:
 * {@code java -cp drawbridge-bench.jar:drawbridge.jar dev.drawbridge.bench.NodeListBench [N] [REPEATS]}.
 */
public final class NodeListBench {
    private static final Pattern NEXT = Pattern.compile("\"next\":\"([^\"]+)\"");
    private static final String[] STATES = {"manageable", "available", "active", "error"};

    private NodeListBench() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Path dir = Files.createTempDirectory("nodelist");
        ControllerConfig cfg = ConfigLoader.load(Map.of()).withDataDir(dir.toString())
                .withListen("127.0.0.1:0");
        cfg = cfg.withConductor(new ConductorConfig(false, cfg.conductor().pollInterval(),
                cfg.conductor().jitter(), cfg.conductor().requestTimeout(), cfg.conductor().maxConcurrentPolls(),
                cfg.conductor().unreachableAfter(), cfg.conductor().maxBackoff(), cfg.conductor().enrollingDeadline(),
                cfg.conductor().cleaningDeadline(), cfg.conductor().deployingDeadline(), cfg.conductor().rescuingDeadline(),
                cfg.conductor().busyPollInterval()));
        try (Controller c = Controller.start(cfg, Clock.systemUTC())) {
            long t0 = System.nanoTime();
            NodeRepository repo = NodeRepository.jdbi();
            for (int from = 0; from < n; from += 1000) {
                int start = from;
                c.database().inTransaction(h -> {
                    for (int i = start; i < Math.min(n, start + 1000); i++) {
                        repo.create(h, new NewNode(String.format(Locale.ROOT, "node-%05d", i), List.of(), Map.of(),
                                Optional.empty(), Optional.of("127.0.0.1:9999"), Optional.empty(), "poll",
                                Optional.empty(), Optional.empty()), Instant.now());
                    }
                    return null;
                });
            }
            for (int s = 0; s < STATES.length; s++) {
                int k = s;
                c.database().inTransaction(h -> h.createUpdate("UPDATE nodes SET state = :s WHERE CAST(SUBSTR(name, 6) AS INTEGER) % 4 = :k")
                        .bind("s", STATES[k]).bind("k", k).execute());
            }
            System.err.printf("inventory of %d nodes made in %d ms%n", n, (System.nanoTime() - t0) / 1_000_000);
            HttpClient http = HttpClient.newBuilder().sslContext(TrustingTls.of(Files.readString(c.dataDir().file("ca.pem"))))
                    .version(HttpClient.Version.HTTP_1_1).build();
            String token = Files.readString(c.dataDir().file("admin.token")).strip();
            List<Double> pages = new ArrayList<>();
            List<Double> listings = new ArrayList<>();
            int counted = 0;
            for (int r = 0; r < repeats + 3; r++) {
                long l0 = System.nanoTime();
                String after = null;
                int items = 0;
                do {
                    long p0 = System.nanoTime();
                    String url = c.url() + "/v1/nodes?state=available&limit=1000" + (after == null ? "" : "&after=" + after);
                    HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(url))
                            .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
                    if (res.statusCode() != 200) {
                        throw new IllegalStateException("HTTP " + res.statusCode());
                    }
                    if (r >= 3) {
                        pages.add((System.nanoTime() - p0) / 1e6);
                    }
                    items += res.body().split("\"id\":").length - 1;
                    Matcher m = NEXT.matcher(res.body());
                    after = m.find() ? m.group(1) : null;
                } while (after != null);
                if (r >= 3) {
                    listings.add((System.nanoTime() - l0) / 1e6);
                    counted = items;
                }
            }
            Collections.sort(pages);
            Collections.sort(listings);
            System.out.printf(Locale.ROOT, "{\"nodes\":%d,\"state_matches\":%d,\"page_ms_p50\":%.1f,\"page_ms_p99\":%.1f,"
                            + "\"listing_ms_p50\":%.1f,\"listing_ms_p99\":%.1f,\"repeats\":%d}%n", n, counted,
                    pct(pages, 0.5), pct(pages, 0.99), pct(listings, 0.5), pct(listings, 0.99), repeats);
        }
    }

    private static double pct(List<Double> sorted, double p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }
}
