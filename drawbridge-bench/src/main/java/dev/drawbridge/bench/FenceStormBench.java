package dev.drawbridge.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.drawbridge.attestation.HashAlg;
import dev.drawbridge.attestation.PcrSelection;
import dev.drawbridge.attestation.Quote;
import dev.drawbridge.attestation.SoftwareTpm;
import dev.drawbridge.controller.Controller;
import dev.drawbridge.controller.config.ConfigLoader;
import dev.drawbridge.controller.config.ControllerConfig;
import dev.drawbridge.controller.enroll.CertificateRecord;
import dev.drawbridge.controller.enroll.CertificateRepository;
import dev.drawbridge.controller.enroll.Revocations;
import dev.drawbridge.controller.fence.FenceService;
import dev.drawbridge.controller.fence.FenceStep;
import dev.drawbridge.controller.fence.PowerControls;
import dev.drawbridge.controller.fence.Trigger;
import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.inventory.Move;
import dev.drawbridge.controller.inventory.NewNode;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodePatch;
import dev.drawbridge.controller.inventory.NodeQuery;
import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.inventory.NodeState;
import dev.drawbridge.controller.inventory.PlacementColumns;
import dev.drawbridge.controller.placement.Placement;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.Dialect;
import dev.drawbridge.controller.store.StoreConfig;
import dev.drawbridge.controller.verify.QuoteJudge;
import dev.drawbridge.controller.verify.Trust;
import dev.drawbridge.controller.verify.Verdicts;
import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.IssuedCertificate;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.protocol.QuoteResult;
import dev.drawbridge.protocol.Wire;
import dev.drawbridge.testkit.PostgresServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import org.jdbi.v3.core.Handle;

/**
 * Fence storm: a share of the fleet (1 % of 10,000 by default) fails attestation at the same instant. Every victim
 * must be fenced, with its evacuation planned, within 2 s, and no healthy node may be fenced.
 *
 * <p>A real controller in process ({@code Controller.start} on its embedded SQLite store, or PostgreSQL with
 * {@code --store postgres}), fencing with the {@code fake} power driver and a webhook answered 204 here, as in
 * {@link FenceBench} (but on platform threads, standing in for another process). The {@link FenceService} is wired exactly as {@code Controller.start} wires it
 * ({@code FenceService.standardSteps} over the controller's own database and CA), because the controller does not
 * expose its own instance; only two see-through probes are added: each step is wrapped to note when it starts and
 * ends, and the node repository given to FenceService notes when the transaction that moved a node to
 * {@code fenced} commits ({@code Handle.afterCommit}).
 *
 * <p><b>Set-up writes the store directly</b>, in batches, because 10,000 nodes through HTTPS would take minutes per
 * run. The rows are those the API and services write: nodes through {@link NodeRepository#create} with the
 * {@code node.create} audit event (as {@code POST /v1/nodes}); the SQL fixture of FenceAndPlacementTest and
 * FenceBench making every node an {@code active} host with capacity (reaching {@code active} needs an agent); one
 * node certificate each, issued by the controller's CA for the node's name and stored with an {@code enroll}
 * audit event (no ticket rows); a trusted verdict each through {@link Verdicts#record}; instances inserted as
 * {@code placed} rows with their {@code instance.create} audit event and their room added to the host's used CPU
 * and memory counters (as {@code Placement.create} writes them).
 * Every host has room for 64 CPUs and 256 GiB and carries {@code --instances-per-node} instances of 4 CPUs and
 * 16 GiB, so every victim has instances to evacuate and the healthy hosts have room for all of them. Just before
 * each release every trusted verdict's age is refreshed in one UPDATE, which is what the conductor's routine polls
 * keep doing ({@code Verdicts.recordRoutine}); the conductor itself is running but has no nodes to poll (no node
 * has an agent address), so no routine write load competes with the storm.
 *
 * <p><b>The storm.</b> Victims are drawn at random (seeded) from the fleet. Each victim gets a software-TPM quote
 * whose PCR 7 no longer matches the reference, made before the release. Then one virtual thread per victim waits on
 * a latch; at the release each runs what {@code Attestation.attest} does for a failed quote: judge it once with
 * {@code QuoteJudge.judge} (which returns the PCRs it proved with the verdict), {@code Verdicts.recordRoutine}
 * of the untrusted verdict, then {@code FenceService.fence(id, ATTESTATION, reason, "conductor")}. Per victim,
 * from the release: <i>fenced</i> (the fence transaction committed: node {@code fenced}, fence record and steps),
 * <i>planned</i> (the evacuate step's placement transaction committed, every instance given a host or left
 * {@code unplaced} with a reason, and the step's status stored), and <i>returned</i> ({@code fence()} came back:
 * all six steps including power-off, and the fence's final status). <i>Done</i> is the later of fenced and
 * planned; the storm's total is the last victim's done. Power-off runs on its own thread beside evacuation and is
 * not part of done (the fake driver confirms at once; its time is reported separately).
 *
 * <p>Before each storm, in the same controller: {@code --warmup} lone fences (not recorded) and {@code --lone}
 * recorded ones, each a storm of one victim through the same code: the reference for the storm/lone ratio.
 * Afterwards the store is checked: the nodes in {@code fenced}, with fence records, with placement disabled, with
 * an untrusted verdict, with revoked certificates and powered off are exactly the victims; every fence and step
 * finished; every instance that was on a storm victim is on a trusted, active, non-fenced host or unplaced with a
 * reason. Each run uses a fresh controller and store.
 *
 * <p>Usage: {@code java -cp ... dev.drawbridge.bench.FenceStormBench [--nodes 10000] [--victims-percent 1]
 * [--runs 5] [--seed 1] [--store sqlite|postgres] [--instances-per-node 2] [--lone 10] [--warmup 3]
 * [--target-ms 2000] [--pool-size 10]}; {@code --pool-size} is the store's {@code max-pool-size}, for diagnosis.
 * Prints one JSON line per run, then a summary.
 */
public final class FenceStormBench {
    private static final ObjectMapper JSON = Wire.JSON;
    private static final int BATCH = 500;
    private static final int HOST_CPUS = 64;
    private static final long HOST_MEMORY_MB = 262_144;
    private static final int INSTANCE_CPUS = 4;
    private static final long INSTANCE_MEMORY_MB = 16_384;
    private static final String[] STEPS = {"disable-placement", "revoke-certificates", "revoke-oauth", "power-off",
        "evacuate", "notify"};
    private static final int DISABLE = 0;
    private static final int REVOKE = 1;
    private static final int OAUTH = 2;
    private static final int POWER = 3;
    private static final int EVACUATE = 4;
    private static final int NOTIFY = 5;
    private static final PcrSelection SELECTION = PcrSelection.of(HashAlg.SHA256, 0, 1, 2, 3, 7);

    private FenceStormBench() {}

    record Settings(int nodes, double victimsPercent, int runs, long seed, String store, int instancesPerNode,
                    int lone, int warmup, long targetMs, int poolSize) {
        int victims() {
            return Math.max(1, (int) Math.round(nodes * victimsPercent / 100.0));
        }
    }

    record Host(String id, String name) {}

    public static void main(String[] args) throws Exception {
        FenceBench.quietLogs();
        Map<String, String> o = AttestationBench.options(args);
        Settings s = new Settings(Integer.parseInt(o.getOrDefault("--nodes", "10000")),
                Double.parseDouble(o.getOrDefault("--victims-percent", "1")),
                Integer.parseInt(o.getOrDefault("--runs", "5")), Long.parseLong(o.getOrDefault("--seed", "1")),
                o.getOrDefault("--store", "sqlite"), Integer.parseInt(o.getOrDefault("--instances-per-node", "2")),
                Integer.parseInt(o.getOrDefault("--lone", "10")), Integer.parseInt(o.getOrDefault("--warmup", "3")),
                Long.parseLong(o.getOrDefault("--target-ms", "2000")),
                Integer.parseInt(o.getOrDefault("--pool-size", String.valueOf(StoreConfig.DEFAULT_MAX_POOL_SIZE))));
        if (s.instancesPerNode() < 1 || s.instancesPerNode() * INSTANCE_CPUS > HOST_CPUS) {
            throw new IllegalArgumentException("--instances-per-node must be 1.." + HOST_CPUS / INSTANCE_CPUS);
        }
        if (s.warmup() + s.lone() + s.victims() > s.nodes()) {
            throw new IllegalArgumentException("warm-up, lone and storm victims need more nodes than --nodes");
        }

        AtomicInteger notices = new AtomicInteger();
        HttpServer hook = HttpServer.create(
                new InetSocketAddress("127.0.0.1", 0), 0);
        hook.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            notices.incrementAndGet();
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        // Platform threads: the receiver stands in for another process, so it must not wait for the controller's
        // virtual-thread carriers (with virtual threads it timed out notices when the storm kept them busy).
        hook.setExecutor(Executors.newFixedThreadPool(8, Thread.ofPlatform().daemon().name("webhook-", 0).factory()));
        hook.start();
        URI webhook = URI.create("http://127.0.0.1:" + hook.getAddress().getPort() + "/fenced");
        List<Map<String, Object>> runs = new ArrayList<>();
        try {
            for (int run = 1; run <= s.runs(); run++) {
                notices.set(0);
                Map<String, Object> r = oneRun(s, run, webhook, notices);
                runs.add(r);
                System.out.println(JSON.writeValueAsString(r));
                System.out.flush();
            }
        } finally {
            hook.stop(0);
        }
        summary(s, runs);
    }

    // ---------------------------------------------------------------------------------------------- one run

    private static Map<String, Object> oneRun(Settings s, int run, URI webhook, AtomicInteger notices) throws Exception {
        Path dataDir = Files.createTempDirectory("fence-storm");
        ControllerConfig cfg = ConfigLoader.load(Map.of()).withDataDir(dataDir.toString())
                .withListen("127.0.0.1:0");
        cfg = cfg.withFencing(cfg.fencing().withPowerDriver("fake").withWebhook(webhook.toString()));
        if (s.store().equals("postgres")) {
            var pg = PostgresServer.shared();
            cfg = cfg.withStore(new StoreConfig(pg.jdbcUrl(pg.createDatabase("fencestorm")), pg.user(), "",
                    s.poolSize(), ""));
        } else if (s.store().equals("sqlite")) {
            cfg = cfg.withStore(new StoreConfig("", "", "", s.poolSize(), ""));
        } else {
            throw new IllegalArgumentException("--store must be sqlite or postgres");
        }
        try (Controller controller = Controller.start(cfg, Clock.systemUTC())) {
            say("run %d: controller %s, store %s", run, controller.url(), controller.database().describe());
            long s0 = System.nanoTime();
            List<Host> fleet = Fleet.build(controller, s.nodes(), s.instancesPerNode());
            double setupS = (System.nanoTime() - s0) / 1e9;
            say("run %d: %d nodes, %d certificates, %d instances set up in %.1f s", run, s.nodes(), s.nodes(),
                    s.nodes() * s.instancesPerNode(), setupS);

            Rig rig = new Rig(controller, cfg.fencing().verdictMaxAge(), webhook);
            List<Host> order = new ArrayList<>(fleet);
            Collections.shuffle(order, new Random(s.seed() * 1_000_003L + run));
            List<Host> warm = order.subList(0, s.warmup());
            List<Host> lone = order.subList(s.warmup(), s.warmup() + s.lone());
            List<Host> victims = order.subList(s.warmup() + s.lone(), s.warmup() + s.lone() + s.victims());

            for (Host h : warm) {
                rig.storm(List.of(h));
            }
            List<Probe> loneProbes = new ArrayList<>();
            for (Host h : lone) {
                loneProbes.addAll(rig.storm(List.of(h)).probes());
            }
            Map<String, String> evacuees = instancesOn(controller.database(), victims);
            long movesBefore = Checks.count(controller.database(),
                    "SELECT COUNT(*) FROM audit_events WHERE kind = 'instance.evacuate'");
            Storm storm = rig.storm(victims);
            long moves = Checks.count(controller.database(),
                    "SELECT COUNT(*) FROM audit_events WHERE kind = 'instance.evacuate'") - movesBefore;

            Set<String> expected = new HashSet<>();
            for (List<Host> l : List.of(warm, lone, victims)) {
                l.forEach(h -> expected.add(h.id()));
            }
            Map<String, Object> checks = Checks.run(controller.database(), fleet, expected, evacuees, rig.power,
                    notices.get());
            Map<String, Object> placementQuery = PlacementQuery.measure(controller.database(),
                    cfg.fencing().verdictMaxAge(), 15);

            double[] done = sorted(storm.probes(), Probe::doneMs);
            double[] loneDone = sorted(loneProbes, Probe::doneMs);
            double total = done[done.length - 1];
            boolean ok = Boolean.TRUE.equals(checks.get("ok"));
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("run", run);
            r.put("store", controller.database().dialect() == Dialect.SQLITE ? "sqlite" : "postgres");
            r.put("nodes", s.nodes());
            r.put("victims", victims.size());
            r.put("instances_per_node", s.instancesPerNode());
            r.put("pool_size", s.poolSize());
            r.put("carriers", Integer.getInteger("jdk.virtualThreadScheduler.parallelism",
                    Runtime.getRuntime().availableProcessors()));
            r.put("evacuees", evacuees.size());
            r.put("seed", s.seed());
            r.put("setup_s", round(setupS));
            r.put("total_ms", round(total));
            r.put("done_ms", pct(done));
            r.put("fenced_ms", pct(sorted(storm.probes(), p -> p.ms(p.fenced, p.t0))));
            r.put("planned_ms", pct(sorted(storm.probes(), p -> p.ms(p.start[NOTIFY], p.t0))));
            r.put("power_off_ms", pct(sorted(storm.probes(), p -> p.ms(p.end[POWER], p.t0))));
            r.put("returned_ms", pct(sorted(storm.probes(), p -> p.ms(p.returned, p.t0))));
            r.put("lone_done_ms", pct(loneDone));
            r.put("lone_returned_ms", pct(sorted(loneProbes, p -> p.ms(p.returned, p.t0))));
            r.put("ratio_p99_storm_over_lone", round(FenceBench.at(done, 0.99) / FenceBench.at(loneDone, 0.99)));
            // Placing transactions run one at a time (Database.exclusive; on SQLite every write transaction does): the
            // wall time during which some victim's evacuate step was under way (the union of their intervals) is
            // time the storm could not overlap with another evacuation.
            double evacuating = union(storm.probes(), EVACUATE, storm.t0());
            r.put("evacuate_sum_ms", round(storm.probes().stream()
                    .mapToDouble(p -> p.ms(p.end[EVACUATE], p.start[EVACUATE])).sum()));
            r.put("evacuating_ms", round(evacuating));
            r.put("total_minus_evacuating_ms", round(total - evacuating));
            r.put("evacuate_moves", moves);
            r.put("phases_storm_ms", phases(storm.probes()));
            r.put("phases_lone_ms", phases(loneProbes));
            r.put("placement_query", placementQuery);
            r.put("checks", checks);
            r.put("target_ms", s.targetMs());
            r.put("pass", ok && total <= s.targetMs());
            say("run %d: storm of %d: last victim done at %.0f ms (p50 %.0f, p99 %.0f), lone p99 %.0f ms, checks %s",
                    run, victims.size(), total, FenceBench.at(done, 0.5), FenceBench.at(done, 0.99), FenceBench.at(loneDone, 0.99), ok ? "ok" : "FAILED");
            return r;
        } finally {
            FenceBench.deleteTree(dataDir);
        }
    }

    /** Instance id to its host, for every instance on the given hosts now. */
    private static Map<String, String> instancesOn(Database db, List<Host> hosts) {
        Set<String> ids = new HashSet<>();
        hosts.forEach(h -> ids.add(h.id()));
        Map<String, String> out = new HashMap<>();
        db.inTransaction(h -> h.createQuery("SELECT id, node_id FROM instances WHERE node_id IS NOT NULL")
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getString(2))).list())
                .forEach(e -> {
                    if (ids.contains(e.getValue())) {
                        out.put(e.getKey(), e.getValue());
                    }
                });
        return out;
    }

    // ---------------------------------------------------------------------------------------------- the rig

    /** One victim: its prepared quote, and what the probes saw (System.nanoTime values, 0 when not seen). */
    static final class Probe {
        final Host host;
        final byte[] nonce;
        final Quote quote;
        long t0;
        volatile long verified;
        volatile long verdict;
        volatile long fenced;
        volatile long returned;
        final long[] start = new long[STEPS.length];
        final long[] end = new long[STEPS.length];

        Probe(Host host, byte[] nonce, Quote quote) {
            this.host = host;
            this.nonce = nonce;
            this.quote = quote;
        }

        double ms(long t, long from) {
            return t == 0 ? Double.NaN : (t - from) / 1e6;
        }

        /** Fenced and evacuation planned (the evacuate step's status stored, seen as the next step starting). */
        double doneMs() {
            return Math.max(ms(fenced, t0), ms(start[NOTIFY], t0));
        }
    }

    record Storm(long t0, List<Probe> probes) {}

    /** The fence path of the conductor, wired as Controller.start wires it, with the probes. */
    static final class Rig {
        final Database db;
        final Verdicts verdicts;
        final FenceService fences;
        final PowerControls.Fake power = PowerControls.fake();
        final Map<String, Probe> probes = new ConcurrentHashMap<>();
        final SoftwareTpm tpm = SoftwareTpm.create();
        final Map<Integer, String> referenceHex = new TreeMap<>();
        final QuoteJudge judge = new QuoteJudge();
        final SecureRandom random = new SecureRandom();

        Rig(Controller controller, Duration verdictMaxAge, URI webhook) {
            this.db = controller.database();
            Clock clock = Clock.systemUTC();
            NodeRepository nodes = NodeRepository.jdbi();
            AuditLog audit = AuditLog.jdbi();
            var revocations = new Revocations(db, controller.ca(), nodes, CertificateRepository.jdbi(), audit, clock);
            var placement = new Placement(db, audit, clock, verdictMaxAge);
            this.verdicts = new Verdicts(db, audit, clock, verdictMaxAge);
            List<FenceStep> steps = FenceService.standardSteps(db, revocations, controller.trust(), power, placement,
                    FenceService.webhook(webhook, controller.ca(), clock));
            List<FenceStep> timed = new ArrayList<>();
            for (int i = 0; i < steps.size(); i++) {
                if (!steps.get(i).name().equals(STEPS[i])) {
                    throw new IllegalStateException("fence step " + i + " is " + steps.get(i).name() + ", expected "
                            + STEPS[i] + ": update this benchmark");
                }
                timed.add(new TimedStep(steps.get(i), i, probes));
            }
            this.fences = new FenceService(db, new CommitProbe(nodes, probes), audit, timed, verdicts, clock,
                    new SimpleMeterRegistry());
            // The victims' TPMs booted something whose PCR 7 differs from the reference taken at enrolment.
            Map<Integer, byte[]> golden = new TreeMap<>();
            for (int p : new int[] {0, 1, 2, 3, 7}) {
                golden.put(p, tpm.pcr(p));
            }
            golden.forEach((pcr, value) -> referenceHex.put(pcr, HexFormat.of().formatHex(value)));
            tpm.extend(7, HashAlg.SHA256.digest("a boot loader nobody approved".getBytes(
                    StandardCharsets.US_ASCII)));
        }

        Storm storm(List<Host> victims) throws InterruptedException {
            List<Probe> ps = new ArrayList<>();
            for (Host h : victims) {
                byte[] nonce = new byte[32];
                random.nextBytes(nonce);
                ps.add(new Probe(h, nonce, tpm.quote(nonce, SELECTION)));
            }
            probes.clear();
            ps.forEach(p -> probes.put(p.host.id(), p));
            // What the conductor's routine polls keep doing for every healthy node: the verdict stays fresh.
            long now = Instant.now().toEpochMilli();
            db.inTransaction(h -> h.createUpdate("UPDATE nodes SET verdict_at = :at WHERE verdict = 'trusted'")
                    .bind("at", now).execute());

            CountDownLatch ready = new CountDownLatch(ps.size());
            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (Probe p : ps) {
                threads.add(Thread.ofVirtual().name("storm-" + p.host.name()).start(() -> {
                    ready.countDown();
                    try {
                        go.await();
                        failAndFence(p);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            ready.await();
            long t0 = System.nanoTime();
            ps.forEach(p -> p.t0 = t0);
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            if (failure.get() != null) {
                throw new IllegalStateException("a victim's fence failed", failure.get());
            }
            return new Storm(t0, ps);
        }

        /** What Attestation.attest does when a quote fails, for a node that is not fenced yet. */
        private void failAndFence(Probe p) throws Exception {
            Base64.Encoder b64 = Base64.getEncoder();
            var v = judge.judge(p.host.id(), new QuoteResult(
                    b64.encodeToString(p.quote.attest()), b64.encodeToString(p.quote.signature()),
                    b64.encodeToString(p.quote.pcrs())), tpm.attestationKey(), p.nonce, referenceHex);
            if (v.trusted()) {
                throw new IllegalStateException("the tampered quote verified");
            }
            List<String> reasons = v.reasons();
            p.verified = System.nanoTime();
            verdicts.recordRoutine(p.host.id(), p.host.name(), v, HexFormat.of().formatHex(p.nonce));
            p.verdict = System.nanoTime();
            fences.fence(p.host.id(), Trigger.ATTESTATION,
                    "attestation failed: " + String.join("; ", reasons), "conductor");
            p.returned = System.nanoTime();
        }
    }

    /** A fence step that notes when it starts and ends for the victim it runs for. */
    private record TimedStep(FenceStep step, int index, Map<String, Probe> probes) implements FenceStep {
        @Override
        public String name() {
            return step.name();
        }

        @Override
        public boolean storeOnly() {
            return step.storeOnly();
        }

        @Override
        public boolean runsBeside() {
            return step.runsBeside();
        }

        @Override
        public Result run(String fenceId, Node node, String reason) {
            Probe p = probes.get(node.id());
            if (p != null) {
                p.start[index] = System.nanoTime();
            }
            Result r = step.run(fenceId, node, reason);
            if (p != null) {
                p.end[index] = System.nanoTime();
            }
            return r;
        }
    }

    /** The node repository, noting when a transaction that moved a victim to fenced commits. */
    private record CommitProbe(NodeRepository nodes, Map<String, Probe> probes) implements NodeRepository {
        @Override
        public Optional<Node> transition(Handle h, String id, NodeState from, Move move, Instant now) {
            Optional<Node> moved = nodes.transition(h, id, from, move, now);
            Probe p = probes.get(id);
            if (p != null && moved.isPresent() && moved.get().state() == NodeState.FENCED) {
                h.afterCommit(() -> p.fenced = System.nanoTime());
            }
            return moved;
        }

        @Override
        public Node create(Handle h, NewNode node, Instant now) {
            return nodes.create(h, node, now);
        }

        @Override
        public Optional<Node> find(Handle h, String idOrName) {
            return nodes.find(h, idOrName);
        }

        @Override
        public List<Node> findByIds(Handle h, Collection<String> ids) {
            return nodes.findByIds(h, ids);
        }

        @Override
        public List<Node> list(Handle h, NodeQuery query) {
            return nodes.list(h, query);
        }

        @Override
        public Optional<Node> patch(Handle h, String id, NodePatch patch, Instant now) {
            return nodes.patch(h, id, patch, now);
        }

        @Override
        public boolean delete(Handle h, String id) {
            return nodes.delete(h, id);
        }

        @Override
        public long count(Handle h) {
            return nodes.count(h);
        }
    }

    // ---------------------------------------------------------------------------------------------- set-up

    /** The fleet, written straight to the store in batches (see the class comment for what stands for what). */
    static final class Fleet {
        private Fleet() {}

        static List<Host> build(Controller controller, int count, int instancesPerNode) {
            Database db = controller.database();
            NodeRepository repo = NodeRepository.jdbi();
            AuditLog audit = AuditLog.jdbi();
            List<Host> hosts = new ArrayList<>(count);
            for (int from = 0; from < count; from += BATCH) {
                int first = from;
                int last = Math.min(count, from + BATCH);
                db.inTransaction(h -> {
                    Instant now = Instant.now();
                    for (int i = first; i < last; i++) {
                        String name = String.format(Locale.ROOT, "host-%05d", i);
                        String mac = String.format(Locale.ROOT, "52:54:00:%02x:%02x:%02x", (i >> 16) & 0xff,
                                (i >> 8) & 0xff, i & 0xff);
                        String bmc = String.format(Locale.ROOT, "10.%d.%d.%d:623", 100 + (i >> 16), (i >> 8) & 0xff,
                                i & 0xff);
                        Node n = repo.create(h, new NewNode(name, List.of(mac), Map.of(), Optional.of(bmc),
                                Optional.empty(), Optional.empty(), "poll", Optional.empty(), Optional.empty()), now);
                        audit.append(h, "node.create", n.name(), "granted", Map.of("node", n.id()), n.createdAt());
                        hosts.add(new Host(n.id(), n.name()));
                    }
                    return null;
                });
            }
            // The fixture of FenceAndPlacementTest and FenceBench: active hosts with capacity.
            db.inTransaction(h -> h.createUpdate("UPDATE nodes SET state = 'active', capacity_cpus = :c,"
                    + " capacity_memory_mb = :m").bind("c", HOST_CPUS).bind("m", HOST_MEMORY_MB).execute());
            certificates(controller.ca(), db, audit, hosts);
            Verdicts verdicts = new Verdicts(db, audit, Clock.systemUTC(), Duration.ofDays(1));
            for (Host host : hosts) {
                verdicts.record(host.id(), host.name(), Trust.TRUSTED, List.of(), HexFormat.of().formatHex(
                        UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII)));
            }
            instances(db, audit, hosts, instancesPerNode);
            return hosts;
        }

        private static void certificates(CertificateAuthority ca, Database db, AuditLog audit, List<Host> hosts) {
            CertificateRepository repo = CertificateRepository.jdbi();
            List<CertificateRecord> issued = IntStream.range(0, hosts.size()).parallel().mapToObj(i -> {
                Host host = hosts.get(i);
                try {
                    KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
                    kpg.initialize(new ECGenParameterSpec("secp256r1"));
                    IssuedCertificate c = ca.issue(new IssueRequest(Profile.NODE, host.name(), List.of(host.name()),
                            List.of(), kpg.generateKeyPair().getPublic()));
                    return new CertificateRecord(c.serialHex(), Optional.of(host.id()),
                            Profile.NODE.name().toLowerCase(Locale.ROOT),
                            c.certificate().getSubjectX500Principal().getName(), c.notBefore(), c.notAfter(),
                            Optional.empty(), 0, c.pem());
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
            for (int from = 0; from < issued.size(); from += BATCH) {
                List<CertificateRecord> batch = issued.subList(from, Math.min(issued.size(), from + BATCH));
                db.inTransaction(h -> {
                    Instant now = Instant.now();
                    for (CertificateRecord c : batch) {
                        repo.insert(h, c);
                        audit.append(h, "enroll", c.subject(), "granted", Map.of("node", c.nodeId().orElseThrow(),
                                "serial", c.serialHex(), "via", "bench set-up"), now);
                    }
                    return null;
                });
            }
        }

        private static void instances(Database db, AuditLog audit, List<Host> hosts, int perNode) {
            for (int from = 0; from < hosts.size(); from += BATCH) {
                List<Host> batch = hosts.subList(from, Math.min(hosts.size(), from + BATCH));
                db.inTransaction(h -> {
                    long now = Instant.now().toEpochMilli();
                    for (Host host : batch) {
                        for (int k = 0; k < perNode; k++) {
                            String name = "vm-" + host.name().substring("host-".length()) + "-" + k;
                            h.createUpdate("INSERT INTO instances (id, name, cpus, memory_mb, node_id, state, reason,"
                                            + " created_at, updated_at) VALUES (:id, :name, :cpus, :mem, :node, 'placed',"
                                            + " NULL, :at, :at)")
                                    .bind("id", UUID.randomUUID().toString()).bind("name", name)
                                    .bind("cpus", INSTANCE_CPUS).bind("mem", INSTANCE_MEMORY_MB).bind("node", host.id())
                                    .bind("at", now).execute();
                            audit.append(h, "instance.create", name, "placed", Map.of("node", host.id(), "actor",
                                    "bench set-up", "reason", ""), Instant.ofEpochMilli(now));
                        }
                        h.createUpdate("UPDATE nodes SET used_cpus = used_cpus + :cpus,"
                                        + " used_memory_mb = used_memory_mb + :mem WHERE id = :id")
                                .bind("cpus", perNode * INSTANCE_CPUS).bind("mem", perNode * INSTANCE_MEMORY_MB)
                                .bind("id", host.id()).execute();
                    }
                    return null;
                });
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- checks

    /** After the storm: who is fenced, and where the victims' instances went. */
    static final class Checks {
        private Checks() {}

        static Map<String, Object> run(Database db, List<Host> fleet, Set<String> expected, Map<String, String> evacuees,
                                       PowerControls.Fake power, int notices) {
            Map<String, Object> c = new LinkedHashMap<>();
            boolean ok = true;
            ok &= same(c, "fenced_state", ids(db, "SELECT id FROM nodes WHERE state = 'fenced'"), expected);
            ok &= same(c, "fence_records", ids(db, "SELECT DISTINCT node_id FROM fences"), expected);
            ok &= same(c, "placement_disabled", ids(db, "SELECT id FROM nodes WHERE placement_disabled <> 0"), expected);
            ok &= same(c, "not_trusted", ids(db, "SELECT id FROM nodes WHERE verdict IS NULL OR verdict <> 'trusted'"),
                    expected);
            ok &= same(c, "revoked_certificate_owners",
                    ids(db, "SELECT DISTINCT node_id FROM certificates WHERE revoked_at IS NOT NULL"), expected);
            Set<String> off = new HashSet<>();
            fleet.forEach(h -> {
                if (power.isOff(h.id())) {
                    off.add(h.id());
                }
            });
            ok &= same(c, "powered_off", off, expected);
            long fences = count(db, "SELECT COUNT(*) FROM fences");
            long unfinished = count(db, "SELECT COUNT(*) FROM fences WHERE status <> 'done'");
            long badSteps = count(db, "SELECT COUNT(*) FROM fence_steps WHERE NOT ((step = 'revoke-oauth' AND status"
                    + " = 'skipped') OR (step <> 'revoke-oauth' AND status = 'done'))");
            long unrevoked = count(db, "SELECT COUNT(*) FROM certificates c JOIN nodes n ON c.node_id = n.id"
                    + " WHERE n.state = 'fenced' AND c.revoked_at IS NULL");
            long onFenced = count(db, "SELECT COUNT(*) FROM instances i JOIN nodes n ON i.node_id = n.id"
                    + " WHERE n.state = 'fenced'");
            c.put("fences", fences);
            c.put("unfinished_fences", unfinished);
            c.put("bad_steps", badSteps);
            if (badSteps > 0) {
                c.put("bad_step_kinds", db.inTransaction(h -> h.createQuery("SELECT step, status, MIN(detail) AS d,"
                                + " COUNT(*) AS k FROM fence_steps WHERE NOT ((step = 'revoke-oauth' AND status = 'skipped')"
                                + " OR (step <> 'revoke-oauth' AND status = 'done')) GROUP BY step, status")
                        .map((rs, ctx) -> rs.getString("step") + " " + rs.getString("status") + " x" + rs.getLong("k")
                                + ": " + rs.getString("d")).list()));
            }
            c.put("unrevoked_on_fenced", unrevoked);
            c.put("instances_on_fenced_hosts", onFenced);
            c.put("webhook_notices", notices);
            ok &= fences == expected.size() && unfinished == 0 && badSteps == 0 && unrevoked == 0 && onFenced == 0
                    && notices == expected.size();

            // Every instance that was on a storm victim: on a trusted, active, open, non-victim host, or unplaced.
            record Where(String node, String state, String reason, String hostState, String verdict, int disabled) {}
            Map<String, Where> now = new HashMap<>();
            db.inTransaction(h -> h.createQuery("SELECT i.id, i.node_id, i.state, i.reason, n.state AS host_state,"
                            + " n.verdict, n.placement_disabled FROM instances i LEFT JOIN nodes n ON i.node_id = n.id")
                    .map((rs, ctx) -> Map.entry(rs.getString("id"), new Where(rs.getString("node_id"),
                            rs.getString("state"), rs.getString("reason"), rs.getString("host_state"),
                            rs.getString("verdict"), rs.getInt("placement_disabled")))).list())
                    .forEach(e -> now.put(e.getKey(), e.getValue()));
            int moved = 0;
            int unplaced = 0;
            int wrong = 0;
            for (String id : evacuees.keySet()) {
                Where w = now.get(id);
                if (w != null && "placed".equals(w.state()) && w.node() != null && !expected.contains(w.node())
                        && "active".equals(w.hostState()) && "trusted".equals(w.verdict()) && w.disabled() == 0) {
                    moved++;
                } else if (w != null && "unplaced".equals(w.state()) && w.node() == null && w.reason() != null) {
                    unplaced++;
                } else {
                    wrong++;
                    if (wrong <= 5) {
                        say("instance %s of a victim ended %s", id, w);
                    }
                }
            }
            long evacuations = count(db, "SELECT COUNT(*) FROM audit_events WHERE kind = 'instance.evacuate'");
            c.put("evacuees_moved", moved);
            c.put("evacuees_unplaced", unplaced);
            c.put("evacuees_wrong", wrong);
            c.put("evacuate_events_all_fences", evacuations);
            ok &= wrong == 0;

            // Each host's used CPU and memory counters equal the sums over its instances, and fit its capacity.
            long drift = count(db, "SELECT COUNT(*) FROM nodes n WHERE n.used_cpus <> (SELECT COALESCE(SUM(i.cpus), 0)"
                    + " FROM instances i WHERE i.node_id = n.id) OR n.used_memory_mb <> (SELECT"
                    + " COALESCE(SUM(i.memory_mb), 0) FROM instances i WHERE i.node_id = n.id)");
            long over = count(db, "SELECT COUNT(*) FROM nodes WHERE used_cpus > COALESCE(capacity_cpus, 0)"
                    + " OR used_memory_mb > COALESCE(capacity_memory_mb, 0)");
            c.put("hosts_with_wrong_used_counters", drift);
            c.put("hosts_over_capacity", over);
            ok &= drift == 0 && over == 0;
            c.put("ok", ok);
            return c;
        }

        private static boolean same(Map<String, Object> c, String key, Set<String> actual, Set<String> expected) {
            Set<String> extra = new HashSet<>(actual);
            extra.removeAll(expected);
            Set<String> missing = new HashSet<>(expected);
            missing.removeAll(actual);
            c.put(key, extra.isEmpty() && missing.isEmpty() ? "exact" : "extra " + extra.size() + ", missing "
                    + missing.size());
            return extra.isEmpty() && missing.isEmpty();
        }

        private static Set<String> ids(Database db, String sql) {
            return new HashSet<>(db.inTransaction(h -> h.createQuery(sql).mapTo(String.class).list()));
        }

        static long count(Database db, String sql) {
            return db.inTransaction(h -> h.createQuery(sql).mapTo(Long.class).one());
        }
    }

    /**
     * The cost of one placement decision on this fleet, alone, on an idle store after the storm: the host query of
     * {@code Capacity.claim} ({@link dev.drawbridge.controller.inventory.PlacementColumns#CHOOSE}), and, for comparison, the query it replaced, which
     * summed every host's instances for each decision.
     */
    static final class PlacementQuery {
        private static final String SQL = PlacementColumns.CHOOSE;

        private static final String SUMMING = """
                SELECT n.id FROM nodes n
                WHERE n.state = 'active' AND n.placement_disabled = 0 AND n.verdict = 'trusted'
                  AND n.verdict_at >= :fresh AND n.id <> :avoid
                  AND COALESCE(n.capacity_cpus, 0) - (SELECT COALESCE(SUM(x.cpus), 0) FROM instances x
                        WHERE x.node_id = n.id) >= :cpus
                  AND COALESCE(n.capacity_memory_mb, 0) - (SELECT COALESCE(SUM(x.memory_mb), 0) FROM instances x
                        WHERE x.node_id = n.id) >= :mem
                ORDER BY COALESCE(n.capacity_memory_mb, 0) - (SELECT COALESCE(SUM(x.memory_mb), 0) FROM instances x
                        WHERE x.node_id = n.id) DESC, n.name
                LIMIT :limit""";

        private PlacementQuery() {}

        static Map<String, Object> measure(Database db, Duration verdictMaxAge, int repeats) {
            long fresh = Instant.now().minus(verdictMaxAge).toEpochMilli() - 3_600_000; // every verdict counts
            Map<String, Object> out = new LinkedHashMap<>();
            String[] host = new String[2];
            double[] ms = time(db, SQL, fresh, repeats, found -> host[0] = found);
            out.put("p50_ms", Math.round(FenceBench.at(ms, 0.5) * 1000) / 1000.0);
            out.put("min_ms", Math.round(ms[0] * 1000) / 1000.0);
            double[] summing = time(db, SUMMING, fresh, Math.min(repeats, 5), found -> host[1] = found);
            out.put("summing_p50_ms", round(FenceBench.at(summing, 0.5)));
            out.put("found_host", !host[0].isEmpty());
            out.put("same_host_as_summing", host[0].equals(host[1]));
            boolean sqlite = db.dialect() == Dialect.SQLITE;
            List<String> plan = db.inTransaction(h -> h.createQuery((sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ") + SQL)
                    .bind("fresh", fresh).bind("avoid", "").bind("cpus", INSTANCE_CPUS).bind("limit", 1)
                    .bind("mem", INSTANCE_MEMORY_MB).map((rs, ctx) -> rs.getString(sqlite ? "detail" : "QUERY PLAN"))
                    .list());
            out.put("plan", String.join(" | ", plan));
            return out;
        }

        private static double[] time(Database db, String sql, long fresh, int repeats,
                                     Consumer<String> found) {
            double[] ms = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                long t0 = System.nanoTime();
                String host = db.inTransaction(h -> h.createQuery(sql).bind("fresh", fresh).bind("avoid", "")
                        .bind("cpus", INSTANCE_CPUS).bind("mem", INSTANCE_MEMORY_MB).bind("limit", 1)
                        .map((rs, ctx) -> rs.getString(1))
                        .findFirst().orElse(""));
                ms[i] = (System.nanoTime() - t0) / 1e6;
                found.accept(host);
            }
            Arrays.sort(ms);
            return ms;
        }
    }

    // ---------------------------------------------------------------------------------------------- reporting

    /**
     * Where each victim's time went, in order, from its release to its evacuation being planned: percentiles of
     * each phase over the victims. The phases add up to {@code planned}. Store-only steps (disable-placement,
     * revoke-oauth, evacuate: {@code FenceStep.storeOnly}) start inside the transaction that also stores their
     * status, so waiting for the store (on SQLite, the writer lock) falls in the phase before such a step, and the
     * "status" phase after it is the commit and the step's return.
     */
    private static Map<String, Object> phases(List<Probe> probes) {
        Map<String, ToDoubleFunction<Probe>> phases = new LinkedHashMap<>();
        // From the release: waiting for a carrier thread to run on, then the two quote verifications.
        phases.put("start_and_verify", p -> p.ms(p.verified, p.t0));
        phases.put("verdict_write", p -> p.ms(p.verdict, p.verified));
        phases.put("fence_tx", p -> p.ms(p.fenced, p.verdict));
        phases.put("fence_reads", p -> p.ms(p.start[DISABLE], p.fenced));
        phases.put("disable_placement", p -> p.ms(p.end[DISABLE], p.start[DISABLE]));
        phases.put("disable_status", p -> p.ms(p.start[REVOKE], p.end[DISABLE]));
        phases.put("revoke_certificates", p -> p.ms(p.end[REVOKE], p.start[REVOKE]));
        phases.put("revoke_and_oauth_status", p -> p.ms(p.start[EVACUATE], p.end[REVOKE]));
        phases.put("evacuate", p -> p.ms(p.end[EVACUATE], p.start[EVACUATE]));
        phases.put("evacuate_status", p -> p.ms(p.start[NOTIFY], p.end[EVACUATE]));
        Map<String, Object> out = new LinkedHashMap<>();
        phases.forEach((name, f) -> out.put(name, pct(sorted(probes, f))));
        return out;
    }

    private static void summary(Settings s, List<Map<String, Object>> runs) {
        double[] totals = runs.stream().mapToDouble(r -> (Double) r.get("total_ms")).sorted().toArray();
        double[] p50 = runs.stream().mapToDouble(r -> pctOf(r, "done_ms", "p50")).sorted().toArray();
        double[] p99 = runs.stream().mapToDouble(r -> pctOf(r, "done_ms", "p99")).sorted().toArray();
        double[] fenced99 = runs.stream().mapToDouble(r -> pctOf(r, "fenced_ms", "p99")).sorted().toArray();
        double[] returned = runs.stream().mapToDouble(r -> pctOf(r, "returned_ms", "max")).sorted().toArray();
        double[] lone99 = runs.stream().mapToDouble(r -> pctOf(r, "lone_done_ms", "p99")).sorted().toArray();
        double[] ratio = runs.stream().mapToDouble(r -> (Double) r.get("ratio_p99_storm_over_lone")).sorted().toArray();
        double[] evacuate = runs.stream().mapToDouble(r -> (Double) r.get("evacuating_ms")).sorted().toArray();
        double[] rest = runs.stream().mapToDouble(r -> (Double) r.get("total_minus_evacuating_ms")).sorted().toArray();
        long passed = runs.stream().filter(r -> Boolean.TRUE.equals(r.get("pass"))).count();
        long checked = runs.stream().filter(r -> Boolean.TRUE.equals(((Map<?, ?>) r.get("checks")).get("ok"))).count();
        System.out.println();
        System.out.printf(Locale.ROOT, "fence storm: %d nodes, %d victims (%.2f %%), %d instances each, store %s, %d runs%n",
                s.nodes(), s.victims(), s.victimsPercent(), s.instancesPerNode(), s.store(), runs.size());
        System.out.printf(Locale.ROOT, "  medians over runs: storm total (last victim fenced + evacuation planned) %.0f ms;"
                + " per victim p50 %.0f ms, p99 %.0f ms; fenced p99 %.0f ms; all steps incl. power-off, last %.0f ms%n",
                median(totals), median(p50), median(p99), median(fenced99), median(returned));
        System.out.printf(Locale.ROOT, "  lone fence (same harness, 1 victim) p99 %.0f ms; storm p99 / lone p99 = %.1f%n",
                median(lone99), median(ratio));
        System.out.printf(Locale.ROOT, "  wall time with an evacuation under way (they run one at a time) %.0f ms; the storm"
                + " total minus that %.0f ms%n", median(evacuate), median(rest));
        System.out.printf(Locale.ROOT, "  checks (exactly the victims fenced, instances safe): %d/%d runs ok%n", checked,
                runs.size());
        System.out.printf(Locale.ROOT, "  %s: %d/%d runs within %d ms (worst total %.0f ms)%n",
                passed == runs.size() ? "PASS" : "FAIL", passed, runs.size(), s.targetMs(), totals[totals.length - 1]);
    }

    @SuppressWarnings("unchecked")
    private static double pctOf(Map<String, Object> r, String key, String q) {
        return ((Map<String, Double>) r.get(key)).get(q);
    }

    /** The total length of the union of the probes' intervals of one step, in ms. */
    private static double union(List<Probe> probes, int step, long t0) {
        double[][] spans = probes.stream().map(p -> new double[] {p.ms(p.start[step], t0), p.ms(p.end[step], t0)})
                .sorted(Comparator.comparingDouble(a -> a[0])).toArray(double[][]::new);
        double sum = 0;
        double from = Double.NaN;
        double to = Double.NaN;
        for (double[] span : spans) {
            if (Double.isNaN(from) || span[0] > to) {
                sum += Double.isNaN(from) ? 0 : to - from;
                from = span[0];
                to = span[1];
            } else {
                to = Math.max(to, span[1]);
            }
        }
        return Double.isNaN(from) ? 0 : sum + to - from;
    }

    private static double[] sorted(List<Probe> probes, ToDoubleFunction<Probe> f) {
        return probes.stream().mapToDouble(f).sorted().toArray();
    }

    /** Nearest-rank percentiles and the mean, as FenceBench reports them. */
    private static Map<String, Double> pct(double[] sorted) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("p50", round(FenceBench.at(sorted, 0.50)));
        m.put("p90", round(FenceBench.at(sorted, 0.90)));
        m.put("p99", round(FenceBench.at(sorted, 0.99)));
        m.put("max", round(sorted[sorted.length - 1]));
        m.put("mean", round(Arrays.stream(sorted).average().orElse(Double.NaN)));
        return m;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static void say(String format, Object... args) {
        System.err.println("fence-storm: " + String.format(Locale.ROOT, format, args));
    }

}
