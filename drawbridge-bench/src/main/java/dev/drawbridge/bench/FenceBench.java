package dev.drawbridge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.drawbridge.attestation.Expectations;
import dev.drawbridge.attestation.HashAlg;
import dev.drawbridge.attestation.PcrSelection;
import dev.drawbridge.attestation.Quote;
import dev.drawbridge.attestation.QuoteVerifier;
import dev.drawbridge.attestation.ReferenceValues;
import dev.drawbridge.attestation.SoftwareTpm;
import dev.drawbridge.attestation.Verdict;
import dev.drawbridge.controller.Controller;
import dev.drawbridge.controller.config.ConfigLoader;
import dev.drawbridge.controller.config.ControllerConfig;
import dev.drawbridge.controller.enroll.CertificateRepository;
import dev.drawbridge.controller.enroll.Revocations;
import dev.drawbridge.controller.fence.Fence;
import dev.drawbridge.controller.fence.FenceService;
import dev.drawbridge.controller.fence.PowerControls;
import dev.drawbridge.controller.fence.Trigger;
import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.placement.Placement;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.StoreConfig;
import dev.drawbridge.controller.verify.Trust;
import dev.drawbridge.controller.verify.Verdicts;
import dev.drawbridge.protocol.Wire;
import dev.drawbridge.testkit.PostgresServer;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fence latency in a real controller, in process: from a failed quote verification to every fence step but
 * power-off being done (disable-placement, revoke-certificates with the CRL re-signed, revoke-oauth, evacuate,
 * notify), the span the controller's {@code drawbridge.fence.latency} timer covers, plus the verification and
 * the verdict write that come before it on the conductor's path.
 *
 * <p>Set-up through the controller's HTTPS API (nodes, tickets, enrolment with a P-256 CSR, instances) and the
 * same SQL fixture as FenceAndPlacementTest (nodes made active hosts with capacity). Each victim host has one
 * certificate and one instance; two spare trusted hosts have room for every instance.
 *
 * <p>Two paths, each on its own victims:
 * <ul>
 *   <li>{@code conductor}: what {@code Attestation} does when a quote fails: {@link QuoteVerifier#verify} of a
 *   quote whose PCR 7 differs from the reference, {@link Verdicts#record} of the untrusted verdict, then
 *   {@link FenceService#fence}. The FenceService is wired exactly as {@code Controller.start} wires it
 *   ({@code FenceService.standardSteps} over the controller's database and CA, fake power driver, the same
 *   webhook, answered 204 by a receiver in this process), because the controller does not expose its own instance.</li>
 *   <li>{@code api}: {@code POST /v1/nodes/NAME/fence} to the controller's own FenceService over HTTPS (the
 *   operator's path); latency is the delta of the controller's own timer in {@code /metrics}, and the HTTPS
 *   round trip (which also waits for the fake power-off and the fence's final status write).</li>
 * </ul>
 *
 * <p>Usage: {@code java -cp ... dev.drawbridge.bench.FenceBench [--nodes 200] [--warmup 20] [--store sqlite|postgres]
 * [--paths conductor,api]}. Prints a JSON line per path.
 */
public final class FenceBench {
    private static final ObjectMapper JSON = Wire.JSON;
    private static final Pattern SUM = Pattern.compile("(?m)^drawbridge_fence_latency_seconds_sum(?:\\{[^}]*\\})? (\\S+)$");
    private static final Pattern COUNT = Pattern.compile("(?m)^drawbridge_fence_latency_seconds_count(?:\\{[^}]*\\})? (\\S+)$");

    private static URI webhook;
    private final Controller controller;
    private final HttpClient http;
    private final String token;
    private final Verdicts verdicts;

    private FenceBench(Controller controller, Path dataDir) throws Exception {
        this.controller = controller;
        this.token = Files.readString(dataDir.resolve("admin.token")).strip();
        this.http = HttpClient.newBuilder().sslContext(TrustingTls.of(Files.readString(dataDir.resolve("ca.pem"))))
                .version(HttpClient.Version.HTTP_1_1).build();
        this.verdicts = new Verdicts(controller.database(), AuditLog.jdbi(), Clock.systemUTC(), Duration.ofSeconds(30));
    }

    public static void main(String[] args) throws Exception {
        quietLogs();
        Map<String, String> opts = AttestationBench.options(args);
        int nodes = Integer.parseInt(opts.getOrDefault("--nodes", "200"));
        int warmup = Integer.parseInt(opts.getOrDefault("--warmup", "20"));
        String store = opts.getOrDefault("--store", "sqlite");
        List<String> paths = List.of(opts.getOrDefault("--paths", "conductor,api").split(","));

        Path dataDir = Files.createTempDirectory("fence-bench");
        ControllerConfig cfg = ConfigLoader.load(Map.of()).withDataDir(dataDir.toString())
                .withListen("127.0.0.1:0");
        // The notify step posts a signed notice to a webhook: a local receiver that counts them and answers 204.
        AtomicInteger notices = new AtomicInteger();
        HttpServer hook = HttpServer.create(
                new InetSocketAddress("127.0.0.1", 0), 0);
        hook.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            notices.incrementAndGet();
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        hook.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        hook.start();
        webhook = URI.create("http://127.0.0.1:" + hook.getAddress().getPort() + "/fenced");
        cfg = cfg.withFencing(cfg.fencing().withPowerDriver("fake").withWebhook(webhook.toString()));
        String storeDesc = "sqlite";
        if (store.equals("postgres")) {
            var pg = PostgresServer.shared();
            String db = pg.createDatabase("fencebench");
            cfg = cfg.withStore(StoreConfig.postgres(pg.jdbcUrl(db), pg.user(), ""));
            storeDesc = "postgres";
        }
        try (Controller controller = Controller.start(cfg, Clock.systemUTC())) {
            System.err.println("fence-bench: controller " + controller.url() + ", store " + controller.database().describe());
            FenceBench bench = new FenceBench(controller, dataDir);
            bench.setUpSpares();
            for (String path : paths) {
                List<String> victims = bench.setUpVictims(path, warmup + nodes);
                Result r = path.equals("api") ? bench.viaApi(victims, warmup) : bench.viaConductorPath(victims, warmup);
                r.print(storeDesc, path, nodes, warmup);
            }
            System.err.println("fence-bench: webhook received " + notices.get() + " notices");
        } finally {
            hook.stop(0);
            deleteTree(dataDir);
        }
    }

    // ---------------------------------------------------------------------------------------------- set-up

    private void setUpSpares() {
        for (String name : List.of("spare-a", "spare-b")) {
            createNode(name);
            sql("UPDATE nodes SET state = 'active', capacity_cpus = 100000, capacity_memory_mb = 100000000,"
                    + " bmc_address = '127.0.2.1:623' WHERE name = '" + name + "'");
        }
        // Trusted verdicts come just before the fences (refreshSpares), so victims' instances land on victims.
    }

    private void refreshSpares() {
        for (String name : List.of("spare-a", "spare-b")) {
            verdicts.record(nodeId(name), name, Trust.TRUSTED, List.of(), "00");
        }
    }

    private void untrustSpares() {
        for (String name : List.of("spare-a", "spare-b")) {
            verdicts.record(nodeId(name), name, Trust.UNTRUSTED,
                    List.of("bench set-up: keep new instances off the spares"), "00");
        }
    }

    /** Victims: active hosts with room for exactly one instance, a trusted verdict, that instance and a certificate. */
    private List<String> setUpVictims(String prefix, int count) {
        long t0 = System.nanoTime();
        untrustSpares();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = String.format(Locale.ROOT, "%s-%04d", prefix, i);
            createNode(name);
            sql("UPDATE nodes SET state = 'active', capacity_cpus = 1, capacity_memory_mb = 1024,"
                    + " bmc_address = '127.0.2.1:623' WHERE name = '" + name + "'");
            String id = nodeId(name);
            verdicts.record(id, name, Trust.TRUSTED, List.of(), "00");
            JsonNode inst = call("POST", "/v1/instances", Map.of("name", "inst-" + name, "cpus", 1, "memory_mb", 1024),
                    201);
            if (!inst.path("node_id").asText().equals(id)) {
                throw new IllegalStateException("instance for " + name + " landed on " + inst);
            }
            String ticket = call("POST", "/v1/nodes/" + name + "/tickets", Map.of(), 201).path("ticket").asText();
            JsonNode enrolled = call("POST", "/v1/enroll", Map.of("ticket", ticket, "csr", CsrPool.pem(name)), 201);
            if (enrolled.path("serial").asText().isEmpty()) {
                throw new IllegalStateException("enrolment of " + name + " gave no serial: " + enrolled);
            }
            names.add(name);
        }
        System.err.printf("fence-bench: %d %s victims set up in %.1f s%n", count, prefix, (System.nanoTime() - t0) / 1e9);
        return names;
    }

    // ---------------------------------------------------------------------------------------------- paths

    record Sample(double totalMs, double timerMs, double callMs) {}

    record Result(List<Sample> samples, int badFences) {
        void print(String store, String path, int nodes, int warmup) {
            double[] total = samples.stream().mapToDouble(Sample::totalMs).sorted().toArray();
            double[] timer = samples.stream().mapToDouble(Sample::timerMs).sorted().toArray();
            double[] call = samples.stream().mapToDouble(Sample::callMs).sorted().toArray();
            System.out.printf(Locale.ROOT, "{\"store\":\"%s\",\"path\":\"%s\",\"fences\":%d,\"warmup_fences\":%d,"
                            + "\"bad_fences\":%d,\"latency_ms\":%s,\"timer_ms\":%s,\"call_ms\":%s}%n",
                    store, path, total.length, warmup, badFences, pct(total), pct(timer), pct(call));
            System.out.flush();
        }
    }

    /** The conductor's path: verify a failing quote, record the untrusted verdict, fence. */
    private Result viaConductorPath(List<String> victims, int warmup) {
        Database db = controller.database();
        Clock clock = Clock.systemUTC();
        NodeRepository nodes = NodeRepository.jdbi();
        AuditLog audit = AuditLog.jdbi();
        var revocations = new Revocations(db, controller.ca(), nodes, CertificateRepository.jdbi(), audit, clock);
        var placement = new Placement(db, audit, clock, Duration.ofSeconds(30));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        FenceService fences = new FenceService(db, nodes, audit, FenceService.standardSteps(db, revocations,
                controller.trust(), PowerControls.fake(), placement, FenceService.webhook(webhook, controller.ca(),
                clock)), verdicts, clock, registry);
        Timer timer = registry.get("drawbridge.fence.latency").timer();

        // One software TPM per run stands in for the victims' TPMs: its PCR 7 no longer has the reference value.
        SoftwareTpm tpm = SoftwareTpm.create();
        PcrSelection selection = PcrSelection.of(HashAlg.SHA256, 0, 1, 2, 3, 7);
        Map<Integer, byte[]> golden = new TreeMap<>();
        for (int p : new int[] {0, 1, 2, 3, 7}) {
            golden.put(p, tpm.pcr(p));
        }
        ReferenceValues reference = ReferenceValues.of(HashAlg.SHA256, golden);
        tpm.extend(7, HashAlg.SHA256.digest("a boot loader nobody approved".getBytes(StandardCharsets.US_ASCII)));
        QuoteVerifier verifier = QuoteVerifier.create();
        SecureRandom random = new SecureRandom();

        List<Sample> samples = new ArrayList<>();
        int bad = 0;
        for (int i = 0; i < victims.size(); i++) {
            String name = victims.get(i);
            String id = nodeId(name);
            refreshSpares();
            byte[] nonce = new byte[32];
            random.nextBytes(nonce);
            Quote quote = tpm.quote(nonce, selection); // made on the node, before the verifier sees it
            Expectations exp = Expectations.of(tpm.attestationKey(), nonce, selection, reference);
            double timerBefore = timer.totalTime(TimeUnit.NANOSECONDS);

            long t0 = System.nanoTime();
            var verdict = verifier.verify(quote, exp);
            if (verdict.trusted()) {
                throw new IllegalStateException("the tampered quote verified");
            }
            List<String> reasons = ((Verdict.Failed) verdict).reasons().stream()
                    .map(r -> r.code() + ": " + r.detail()).toList();
            verdicts.record(id, name, Trust.UNTRUSTED, reasons,
                    HexFormat.of().formatHex(nonce));
            long t1 = System.nanoTime();
            Fence fence = fences.fence(id, Trigger.ATTESTATION, "attestation failed: " + String.join("; ", reasons), "conductor");
            long t2 = System.nanoTime();

            double timerMs = (timer.totalTime(TimeUnit.NANOSECONDS) - timerBefore) / 1e6;
            if (!complete(fence, name)) {
                bad++;
            }
            if (i >= warmup) {
                samples.add(new Sample((t1 - t0) / 1e6 + timerMs, timerMs, (t2 - t0) / 1e6));
            }
        }
        return new Result(samples, bad);
    }

    /** The operator's path: POST /v1/nodes/NAME/fence to the controller's own FenceService. */
    private Result viaApi(List<String> victims, int warmup) {
        List<Sample> samples = new ArrayList<>();
        int bad = 0;
        for (int i = 0; i < victims.size(); i++) {
            String name = victims.get(i);
            refreshSpares();
            double[] before = timerSumCount();
            long t0 = System.nanoTime();
            JsonNode fence = call("POST", "/v1/nodes/" + name + "/fence", Map.of("reason", "bench"), 201);
            long t1 = System.nanoTime();
            double[] after = timerSumCount();
            if (after[1] - before[1] != 1) {
                throw new IllegalStateException("the controller's fence timer counted " + (after[1] - before[1]));
            }
            double timerMs = (after[0] - before[0]) * 1e3;
            JsonNode stored = call("GET", "/v1/nodes/" + name + "/fences", null, 200).path("items").get(0);
            if (!completeJson(stored, name) || !fence.path("id").asText().equals(stored.path("id").asText())) {
                bad++;
            }
            if (i >= warmup) {
                samples.add(new Sample(timerMs, timerMs, (t1 - t0) / 1e6));
            }
        }
        return new Result(samples, bad);
    }

    /**
     * Every step but power-off done (revoke-oauth is done with "nothing to revoke" while no OAuth client exists), the
     * instance on a spare, the certificate revoked.
     */
    private boolean complete(Fence fence, String name) {
        boolean ok = true;
        for (Fence.StepState s : fence.steps()) {
            if (!s.step().equals("power-off") && !s.status().equals("done")) {
                System.err.println("fence-bench: " + name + " step " + s.step() + " is " + s.status() + " " + s.detail());
                ok = false;
            }
        }
        return ok && movedAndRevoked(name);
    }

    private boolean completeJson(JsonNode fence, String name) {
        boolean ok = true;
        for (JsonNode s : fence.path("steps")) {
            String step = s.path("step").asText();
            if (!step.equals("power-off") && !s.path("status").asText().equals("done")) {
                System.err.println("fence-bench: " + name + " step " + step + " is " + s.path("status").asText() + " "
                        + s.path("detail").asText());
                ok = false;
            }
        }
        return ok && movedAndRevoked(name);
    }

    private boolean movedAndRevoked(String name) {
        JsonNode inst = call("GET", "/v1/instances/inst-" + name, null, 200);
        String host = inst.path("node_id").asText();
        boolean moved = host.equals(nodeId("spare-a")) || host.equals(nodeId("spare-b"));
        long unrevoked = controller.database().inTransaction(h -> h.createQuery(
                "SELECT COUNT(*) FROM certificates c JOIN nodes n ON c.node_id = n.id WHERE n.name = :n"
                        + " AND c.revoked_at IS NULL").bind("n", name).mapTo(Long.class).one());
        if (!moved || unrevoked != 0) {
            System.err.println("fence-bench: " + name + ": instance on " + host + ", unrevoked certificates " + unrevoked);
        }
        return moved && unrevoked == 0;
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private double[] timerSumCount() {
        String text = text("GET", "/metrics");
        Matcher s = SUM.matcher(text);
        Matcher c = COUNT.matcher(text);
        if (!s.find() || !c.find()) {
            return new double[] {0, 0};
        }
        return new double[] {Double.parseDouble(s.group(1)), Double.parseDouble(c.group(1))};
    }

    private final Map<String, String> ids = new HashMap<>();

    private String nodeId(String name) {
        return ids.computeIfAbsent(name, n -> call("GET", "/v1/nodes/" + n, null, 200).path("id").asText());
    }

    private int mac = 1;

    private void createNode(String name) {
        int m = mac++;
        String address = String.format(Locale.ROOT, "52:54:00:%02x:%02x:%02x", (m >> 16) & 0xff, (m >> 8) & 0xff, m & 0xff);
        call("POST", "/v1/nodes", Map.of("name", name, "macs", List.of(address)), 201);
    }

    private void sql(String statement) {
        int n = controller.database().inTransaction(h -> h.createUpdate(statement).execute());
        if (n != 1) {
            throw new IllegalStateException(n + " rows for " + statement);
        }
    }

    private JsonNode call(String method, String path, Object body, int expect) {
        HttpResponse<byte[]> res = send(method, path, body);
        if (res.statusCode() != expect) {
            throw new IllegalStateException(method + " " + path + " answered " + res.statusCode() + ": "
                    + new String(res.body(), StandardCharsets.UTF_8));
        }
        try {
            return JSON.readTree(res.body());
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + ": not JSON", e);
        }
    }

    private String text(String method, String path) {
        return new String(send(method, path, null).body(), StandardCharsets.UTF_8);
    }

    private HttpResponse<byte[]> send(String method, String path, Object body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(controller.url() + path))
                    .header("Authorization", "Bearer " + token)
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String pct(double[] sorted) {
        if (sorted.length == 0) {
            return "{}";
        }
        return String.format(Locale.ROOT, "{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"max\":%.1f,\"mean\":%.1f}",
                at(sorted, 0.50), at(sorted, 0.90), at(sorted, 0.99), sorted[sorted.length - 1],
                Arrays.stream(sorted).average().orElse(0));
    }

    /** Nearest-rank percentile: the smallest value with at least q of the samples at or below it. */
    static double at(double[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static void quietLogs() {
        Logger root = LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        if (root instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(ch.qos.logback.classic.Level.WARN);
        }
    }

    static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // temp directory: leave it
        }
    }
}
