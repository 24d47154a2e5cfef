package dev.drawbridge.bench;

import static dev.drawbridge.bench.ScaleBench.await;
import static dev.drawbridge.bench.ScaleBench.delta;
import static dev.drawbridge.bench.ScaleBench.round;

import dev.drawbridge.bench.ScaleBench.Metrics;
import dev.drawbridge.bench.ScaleBench.ProcStat;
import dev.drawbridge.controller.DataDir;
import dev.drawbridge.protocol.Wire;
import dev.drawbridge.testkit.PostgresServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One fleet, polled and attested by one controller and by several clustered ones, on one PostgreSQL: does adding
 * controllers add capacity? The fleet ({@code drawbridge simulate}) is made manageable once by a single unclustered
 * controller. Then, {@code rounds} times over: the single controller is measured over {@code windows} windows and
 * stops, {@code controllers} clustered controllers (the same CA, ports {@code port}, {@code port+1}, ...; each round
 * starts them in another order) start on the same store, split the nodes on the ring and are measured the same way,
 * and stop; from the second round on the single controller starts afresh. Each shape is measured once it polls the
 * whole fleet on time, its youngest process is {@code age} seconds old and every one's JIT compiler threads used
 * at most {@code jit-quiet} cores over 30 s (a young JVM still compiles its hot code; waiting at most
 * {@code jit-wait} seconds for that).
 * The shapes alternate so that a busy spell of this shared machine falls on both, and each round gives its own
 * ratio.
 *
 * <p>Per window and controller: CPU (from /proc), and the part of it its JVM spent in JIT compiler and garbage
 * collector threads (from /proc/PID/task), polls per second, poll lateness (p50/p99 from each controller's
 * /metrics histogram), the nodes it holds and the nodes it read from the store. Per window, the machine: its busy
 * and stolen cores (from /proc/stat, everything on it: controllers, simulators, PostgreSQL and anything outside),
 * and a fixed CPU probe run in the middle of the window: {@code openssl speed -seconds 1 -bytes 1024 sha256}, whose
 * rate is per second of its own CPU time, so it drops when a CPU second buys less work (a contended host), and
 * the CPU seconds it got in that one second of wall time, which drop when every core is busy. (Runs 14–15 found
 * that the rate did not follow the controllers' cost while the share did: the probe tells a busy machine, it gives
 * no factor to correct CPU figures by, so none is applied.)
 *
 * <p>One JSON line per window and shape, one per round (the clustered total against the single controller, and the
 * largest departure of one controller from the mean), then a summary over the rounds.
 *
 * <pre>java -cp drawbridge-bench.jar:drawbridge.jar:drawbridge-testkit.jar dev.drawbridge.bench.ClusterScaleBench
 *   --jar drawbridge.jar [--nodes 10000] [--controllers 3] [--poll-interval 10s] [--rounds 2] [--age 300]
 *   [--jit-quiet 0.003] [--jit-wait 600]
 *   [--window 60] [--windows 3] [--port 18600] [--controller-opts "-Xmx640m"] [--work DIR]</pre>
 */
public final class ClusterScaleBench {
    private static final double TICK = 100.0; // USER_HZ

    private ClusterScaleBench() {}

    /**
     * One window of one shape: each controller's cores, the part of them its JVM spent compiling (JIT) and
     * collecting garbage (GC), and the probe's rate in that window.
     */
    private record Window(double[] cores, double[] jit, double[] gc, double probe) {
        /** A controller's cores less its JIT and GC threads': the work it was given. */
        double work(int c) {
            return cores[c] - jit[c] - gc[c];
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = ScaleOptions.parse(args);
        Path jar = Path.of(o.getOrDefault("jar", "drawbridge-cli/target/drawbridge.jar")).toAbsolutePath();
        int nodes = Integer.parseInt(o.getOrDefault("nodes", "10000"));
        int count = Integer.parseInt(o.getOrDefault("controllers", "3"));
        String interval = o.getOrDefault("poll-interval", "10s");
        int rounds = Integer.parseInt(o.getOrDefault("rounds", "2"));
        int age = Integer.parseInt(o.getOrDefault("age", "300"));
        Warm warm = new Warm(Double.parseDouble(o.getOrDefault("jit-quiet", "0.003")),
                Integer.parseInt(o.getOrDefault("jit-wait", "600")));
        int window = Integer.parseInt(o.getOrDefault("window", "60"));
        int windows = Integer.parseInt(o.getOrDefault("windows", "3"));
        int port = Integer.parseInt(o.getOrDefault("port", "18600"));
        Path work = Path.of(o.getOrDefault("work", Files.createTempDirectory("bench-cluster-scale").toString()));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.createDirectories(work);
        probe(); // fails at once, naming the package, when openssl is missing

        PostgresServer pg = PostgresServer.shared();
        String url = pg.jdbcUrl(pg.createDatabase("scale"));
        Map<String, String> env = new LinkedHashMap<>(Map.of("DRAWBRIDGE_STORE_URL", url, "DRAWBRIDGE_STORE_USER",
                pg.user(), "DRAWBRIDGE_CONDUCTOR_POLL_INTERVAL", interval));
        Map<String, String> clustered = new LinkedHashMap<>(env);
        clustered.put("DRAWBRIDGE_CLUSTER_ENABLED", "true");
        Path first = work.resolve("ctl-1");
        List<Process> controllers = new ArrayList<>();
        List<List<Window>> singles = new ArrayList<>();
        List<List<Window>> manys = new ArrayList<>();
        try (SimFleet fleet = startFleet(java, jar, first, port, env, nodes, o, work, controllers)) {
            for (int round = 1; round <= rounds; round++) {
                // One controller, unclustered: the reference.
                if (round > 1) {
                    controllers.add(startController(java, jar, first, port, env, o, work));
                }
                ready(controllers, first, port, nodes, interval, age, warm, "one controller");
                singles.add(measure(controllers, first, port, windows, window, interval, nodes, "single", round));
                stop(controllers);

                // The same fleet on `count` clustered controllers sharing the CA. Each round starts them in another
                // order (round 2 starts ctl-2 first), so a cost that follows the first to start (it takes the
                // singleton duties' leases) can be told from one that follows a controller's port or data directory.
                Process[] started = new Process[count];
                for (int k = 0; k < count; k++) {
                    int i = 1 + (k + round - 1) % count;
                    Path data = work.resolve("ctl-" + i);
                    if (!Files.isDirectory(data)) {
                        new DataDir(first).shareWith(data);
                    }
                    clustered.put("DRAWBRIDGE_CLUSTER_NAME", "ctl-" + i);
                    started[i - 1] = startController(java, jar, data, port + i - 1, clustered, o, work);
                }
                controllers.addAll(List.of(started));
                Metrics ring = new Metrics(first, port);
                await(() -> held(ring) == nodes, Duration.ofMinutes(5), "the ring's shares to cover the fleet");
                ready(controllers, first, port, nodes, interval, age, warm, count + " clustered controllers");
                manys.add(measure(controllers, first, port, windows, window, interval, nodes, "clustered", round));
                stop(controllers);
                // A member's row goes when it leaves; the unclustered controller refuses a store another one beat
                // in within dead-after (6 s by default), so give a member that could not leave cleanly that long.
                Thread.sleep(7_000);
            }
            List<Map<String, Object>> each = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                Map<String, Object> line = compare(singles.get(r), manys.get(r), count);
                line.put("round", r + 1);
                System.out.println(Wire.JSON.writeValueAsString(line));
                each.add(line);
            }
            List<Window> allSingle = singles.stream().flatMap(List::stream).toList();
            List<Window> allMany = manys.stream().flatMap(List::stream).toList();
            Map<String, Object> summary = compare(allSingle, allMany, count);
            summary.put("summary", true);
            summary.put("nodes", nodes);
            summary.put("poll_interval", interval);
            summary.put("rounds", rounds);
            summary.put("round_ratios", each.stream().map(l -> l.get("total_ratio")).toList());
            System.out.println(Wire.JSON.writeValueAsString(summary));
        } finally {
            stop(controllers);
            pg.stop();
        }
        System.exit(0);
    }

    /**
     * The clustered controllers against the single one over these windows: medians per controller (all its cores,
     * its JIT and GC threads', and the rest), their total against the single controller's, and the largest departure
     * of one controller from the clustered mean.
     */
    private static Map<String, Object> compare(List<Window> single, List<Window> many, int count) {
        double singleCores = median(single.stream().mapToDouble(w -> w.cores()[0]).toArray());
        double[] each = medians(many, count, (w, c) -> w.cores()[c]);
        double total = Arrays.stream(each).sum();
        double[] work = medians(many, count, Window::work);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("single_cores", round(singleCores));
        out.put("clustered_cores_each", rounded(each));
        out.put("clustered_cores_total", round(total));
        out.put("total_ratio", round(total / singleCores));
        out.put("max_departure_from_mean", round(departure(each)));
        out.put("clustered_jit_cores_each", rounded(medians(many, count, (w, c) -> w.jit()[c])));
        out.put("clustered_gc_cores_each", rounded(medians(many, count, (w, c) -> w.gc()[c])));
        out.put("clustered_work_cores_each", rounded(work));
        out.put("work_max_departure_from_mean", round(departure(work)));
        out.put("single_jit_cores", round(median(single.stream().mapToDouble(w -> w.jit()[0]).toArray())));
        out.put("single_gc_cores", round(median(single.stream().mapToDouble(w -> w.gc()[0]).toArray())));
        out.put("single_probe_median", round(median(single.stream().mapToDouble(Window::probe).toArray())));
        out.put("clustered_probe_median", round(median(many.stream().mapToDouble(Window::probe).toArray())));
        return out;
    }

    /** Per controller, the median over these windows of one figure of it. */
    private static double[] medians(List<Window> windows, int count,
                                    java.util.function.ToDoubleBiFunction<Window, Integer> figure) {
        double[] out = new double[count];
        for (int c = 0; c < count; c++) {
            int k = c;
            out[c] = median(windows.stream().mapToDouble(w -> figure.applyAsDouble(w, k)).toArray());
        }
        return out;
    }

    private static double[] rounded(double[] values) {
        return Arrays.stream(values).map(ScaleBench::round).toArray();
    }

    /** The largest departure of one value from their mean, as a fraction of the mean. */
    private static double departure(double[] values) {
        double mean = Arrays.stream(values).average().orElse(0);
        return Arrays.stream(values).map(v -> Math.abs(v - mean) / mean).max().orElse(0);
    }

    /**
     * When a JVM counts as warm: every controller's JIT compiler threads used at most {@code quiet} cores over a
     * {@link #WARM_PROBE} probe, waiting at most {@code waitSeconds} for it.
     */
    private record Warm(double quiet, int waitSeconds) {}

    private static final int WARM_PROBE = 30;

    /**
     * Waits until these controllers poll the fleet on time, then until the youngest is {@code age} seconds old, then
     * until every one's JIT compiler is quiet. Age alone favours the single controller: the JIT compiles a method
     * once it has run so many times, and a member polling a third of the fleet gets there about three times later
     * (at 300 s run 17's members still compiled at 0.008–0.010 cores each, the single controller at 0.002–0.003).
     */
    private static void ready(List<Process> controllers, Path first, int port, int nodes, String interval, int age,
                              Warm warm, String what) throws Exception {
        double steady = awaitSteady(controllers.size(), first, port, nodes, interval, Duration.ofMinutes(10));
        long more = Math.max(0, Math.round(age - age(controllers)));
        System.err.printf(Locale.ROOT, "bench-cluster-scale: %s poll the fleet on time after %.0f s; settling %d s"
                + " more (until %d s old)%n", what, steady, more, age);
        Thread.sleep(more * 1000L);
        long t0 = System.nanoTime();
        while (true) {
            List<Map<Long, long[]>> before = new ArrayList<>();
            for (Process p : controllers) {
                before.add(jvmThreads(p.pid()));
            }
            long w0 = System.nanoTime();
            Thread.sleep(WARM_PROBE * 1000L);
            double secs = (System.nanoTime() - w0) / 1e9;
            double[] jit = new double[controllers.size()];
            for (int c = 0; c < controllers.size(); c++) {
                jit[c] = jvmSpent(before.get(c), jvmThreads(controllers.get(c).pid()))[0] / TICK / secs;
            }
            double waited = (System.nanoTime() - t0) / 1e9;
            boolean quiet = Arrays.stream(jit).allMatch(j -> j <= warm.quiet());
            System.err.printf(Locale.ROOT, "bench-cluster-scale: %s: JIT compiling at %s cores (warm at %.3f)%s%n",
                    what, Arrays.toString(rounded(jit)), warm.quiet(), quiet ? ", warm after " + Math.round(waited)
                            + " s more" : waited >= warm.waitSeconds() ? ", not warm after " + Math.round(waited)
                            + " s: measuring anyway" : "");
            if (quiet || waited >= warm.waitSeconds()) {
                return;
            }
        }
    }

    /** Seconds since the youngest of these processes started. */
    private static double age(List<Process> processes) {
        long youngest = processes.stream().map(p -> p.info().startInstant().orElseThrow())
                .mapToLong(java.time.Instant::toEpochMilli).max().orElseThrow();
        return (System.currentTimeMillis() - youngest) / 1000.0;
    }

    /** Starts the single controller and the simulators, and waits until the fleet is manageable. */
    private static SimFleet startFleet(String java, Path jar, Path first, int port, Map<String, String> env,
                                       int nodes, Map<String, String> o, Path work, List<Process> controllers)
            throws Exception {
        controllers.add(startController(java, jar, first, port, env, o, work));
        SimFleet fleet = SimFleet.start(java, jar, first, nodes, o, work);
        double ready = fleet.awaitReady(Duration.ofMinutes(60), work);
        System.err.printf(Locale.ROOT, "bench-cluster-scale: %d nodes manageable after %.0f s%n", nodes, ready);
        return fleet;
    }

    /**
     * Measures every controller over {@code windows} windows, with the machine's busy and stolen cores and the probe
     * run in the middle of each window.
     */
    private static List<Window> measure(List<Process> controllers, Path dataDir, int port, int windows, int window,
                                        String interval, int nodes, String shape, int round) throws Exception {
        List<Metrics> scrapes = new ArrayList<>();
        for (int c = 0; c < controllers.size(); c++) {
            scrapes.add(new Metrics(dataDir, port + c));
        }
        List<Window> rows = new ArrayList<>();
        for (int win = 1; win <= windows; win++) {
            List<ProcStat> c0 = new ArrayList<>();
            List<Map<Long, long[]>> t0 = new ArrayList<>();
            List<Map<String, Double>> before = new ArrayList<>();
            for (int c = 0; c < controllers.size(); c++) {
                c0.add(ProcStat.of(controllers.get(c).pid()));
                t0.add(jvmThreads(controllers.get(c).pid()));
                before.add(scrapes.get(c).get());
            }
            long[] m0 = machine();
            long w0 = System.nanoTime();
            Thread.sleep(window * 500L);
            double[] probe = probe();
            Thread.sleep(Math.max(0, window * 1000L - (System.nanoTime() - w0) / 1_000_000));
            double secs = (System.nanoTime() - w0) / 1e9;
            long[] m1 = machine();
            double[] cores = new double[controllers.size()];
            double[] jit = new double[controllers.size()];
            double[] gc = new double[controllers.size()];
            List<Map<String, Object>> each = new ArrayList<>();
            for (int c = 0; c < controllers.size(); c++) {
                ProcStat c1 = ProcStat.of(controllers.get(c).pid());
                long[] spent = jvmSpent(t0.get(c), jvmThreads(controllers.get(c).pid()));
                Map<String, Double> after = scrapes.get(c).get();
                cores[c] = (c1.ticks() - c0.get(c).ticks()) / TICK / secs;
                jit[c] = spent[0] / TICK / secs;
                gc[c] = spent[1] / TICK / secs;
                double polls = delta(before.get(c), after, "drawbridge_conductor_polls_total") / secs;
                double p50 = Metrics.quantile(before.get(c), after, "drawbridge_conductor_poll_lateness_seconds_bucket",
                        0.50);
                double p99 = Metrics.quantile(before.get(c), after, "drawbridge_conductor_poll_lateness_seconds_bucket",
                        0.99);
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("controller", "ctl-" + (c + 1));
                one.put("cores", round(cores[c]));
                one.put("jit_cores", round(jit[c]));
                one.put("gc_cores", round(gc[c]));
                one.put("polls_per_s", round(polls));
                one.put("lateness_p50_ms", round(p50 * 1000));
                one.put("lateness_p99_ms", round(p99 * 1000));
                one.put("rss_mib", c1.rssKb() / 1024);
                one.put("schedule_reads_per_s", scheduleReads(before.get(c), after, secs));
                each.add(one);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("shape", shape);
            out.put("round", round);
            out.put("nodes", nodes);
            out.put("poll_interval", interval);
            out.put("window", win);
            out.put("window_s", Math.round(secs));
            out.put("machine_busy_cores", round((m1[0] - m0[0]) / TICK / secs));
            out.put("machine_steal_cores", round((m1[1] - m0[1]) / TICK / secs));
            out.put("probe_per_cpu_s", round(probe[0]));
            out.put("probe_cpu_share", round(probe[1]));
            out.put("controllers", each);
            System.out.println(Wire.JSON.writeValueAsString(out));
            rows.add(new Window(cores, jit, gc, probe[0]));
        }
        return rows;
    }

    /**
     * The JVM's own threads in one process, by thread id: {kind, ticks}, kind 0 for a JIT compiler thread ("C1
     * CompilerThre", "C2 CompilerThre"), 1 for a garbage collector's ("GC Thread#", "G1 ...", and the "VM Thread"
     * that runs its pauses), from /proc/PID/task (proc(5)). A thread that exits during a window takes its ticks with
     * it, so these are lower bounds.
     */
    private static Map<Long, long[]> jvmThreads(long pid) throws IOException {
        Map<Long, long[]> out = new java.util.HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    int kind = name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler") ? 0
                            : name.startsWith("GC Thread") || name.startsWith("G1 ") || name.equals("VM Thread") ? 1
                            : -1;
                    if (kind >= 0) {
                        out.put(Long.parseLong(task.getFileName().toString()), new long[] {kind, ProcStat.ticks(stat)});
                    }
                } catch (java.nio.file.NoSuchFileException gone) {
                    // the thread exited while being listed
                }
            }
        }
        return out;
    }

    /** Ticks spent between two {@link #jvmThreads} samples: {JIT, GC}; a thread new since the first counts whole. */
    private static long[] jvmSpent(Map<Long, long[]> before, Map<Long, long[]> after) {
        long[] spent = new long[2];
        after.forEach((tid, now) -> {
            long[] then = before.get(tid);
            spent[(int) now[0]] += now[1] - (then == null ? 0 : then[1]);
        });
        return spent;
    }

    /** The whole machine's busy and stolen ticks so far, from the first line of /proc/stat. */
    private static long[] machine() throws IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        // cpu user nice system idle iowait irq softirq steal ...
        long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                + Long.parseLong(f[7]);
        return new long[] {busy, f.length > 8 ? Long.parseLong(f[8]) : 0};
    }

    /**
     * The fixed CPU probe: SHA-256 over 1 KiB blocks for one second, by {@code openssl speed}, in blocks per second
     * of the probe's own CPU time (openssl's default clock), so it falls when a CPU second buys less work; and the
     * CPU seconds it got in its one second of wall time, which falls when the machine's cores are all busy.
     */
    private static double[] probe() throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("openssl", "speed", "-mr", "-seconds", "1", "-bytes", "1024", "sha256")
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("the CPU probe needs openssl (Debian package openssl): " + e.getMessage());
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        for (String line : out.split("\n")) {
            if (line.startsWith("+R:")) { // +R:count:sha256:seconds
                String[] f = line.split(":");
                double cpu = Double.parseDouble(f[3]);
                return new double[] {Double.parseDouble(f[1]) / cpu, cpu};
            }
        }
        throw new IllegalStateException("openssl speed printed no result line: " + out);
    }

    /**
     * Waits until, over a 20 s probe, the controllers together poll at least 95% of the fleet's rate and every one's
     * p99 lateness is under the poll interval; the seconds it took.
     */
    private static double awaitSteady(int count, Path dataDir, int port, int nodes, String interval, Duration limit)
            throws Exception {
        double intervalSeconds = Duration.parse("PT" + interval.toUpperCase(Locale.ROOT)).toMillis() / 1000.0;
        double wanted = 0.95 * nodes / intervalSeconds;
        long t0 = System.nanoTime();
        List<Metrics> scrapes = new ArrayList<>();
        for (int c = 0; c < count; c++) {
            scrapes.add(new Metrics(dataDir, port + c));
        }
        while (System.nanoTime() - t0 < limit.toNanos()) {
            List<Map<String, Double>> before = new ArrayList<>();
            for (Metrics m : scrapes) {
                before.add(m.get());
            }
            long w0 = System.nanoTime();
            Thread.sleep(20_000);
            double secs = (System.nanoTime() - w0) / 1e9;
            double rate = 0;
            double worstP99 = 0;
            for (int c = 0; c < count; c++) {
                Map<String, Double> after = scrapes.get(c).get();
                rate += delta(before.get(c), after, "drawbridge_conductor_polls_total") / secs;
                worstP99 = Math.max(worstP99, Metrics.quantile(before.get(c), after,
                        "drawbridge_conductor_poll_lateness_seconds_bucket", 0.99));
            }
            System.err.printf(Locale.ROOT, "bench-cluster-scale: %.0f polls/s (want %.0f), worst p99 lateness %.1f"
                    + " s%n", rate, wanted, worstP99);
            if (rate >= wanted && worstP99 < intervalSeconds) {
                return (System.nanoTime() - t0) / 1e9;
            }
        }
        throw new IllegalStateException("the clustered controllers did not poll the fleet on time within " + limit);
    }

    /**
     * Nodes read from the store into the controller's schedule per second over the window, by what asked (tick,
     * reload, gained, poll): at rest a controller should read few, and a member no more than its share.
     */
    private static Map<String, Double> scheduleReads(Map<String, Double> before, Map<String, Double> after,
                                                     double secs) {
        Map<String, Double> out = new java.util.TreeMap<>();
        for (var e : after.entrySet()) {
            if (e.getKey().startsWith("drawbridge_conductor_schedule_reads_total{")) {
                String by = e.getKey().replaceAll(".*by=\"([^\"]*)\".*", "$1");
                out.put(by, round((e.getValue() - before.getOrDefault(e.getKey(), 0.0)) / secs));
            }
        }
        return out;
    }

    /** The nodes the members hold, summed, as one member's /metrics reports them. */
    private static int held(Metrics m) {
        try {
            double sum = 0;
            for (var e : m.get().entrySet()) {
                if (e.getKey().startsWith("drawbridge_cluster_member_nodes{")) {
                    sum += e.getValue();
                }
            }
            return (int) sum;
        } catch (Exception e) {
            return -1;
        }
    }

    private static Process startController(String java, Path jar, Path data, int port, Map<String, String> env,
                                           Map<String, String> o, Path work) throws Exception {
        Files.deleteIfExists(data.resolve("controller.url"));
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(ScaleOptions.split(o.getOrDefault("controller-opts", "-Xmx640m")));
        cmd.addAll(List.of("-jar", jar.toString(), "controller", "--data-dir", data.toString(), "--listen",
                "127.0.0.1:" + port));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve(data.getFileName() + ".log").toFile()));
        pb.environment().putAll(env);
        Process p = pb.start();
        await(() -> Files.exists(data.resolve("controller.url")) || !p.isAlive(), Duration.ofSeconds(90),
                "controller " + data.getFileName() + " to start");
        if (!p.isAlive()) {
            throw new IllegalStateException("controller " + data.getFileName() + " exited; see " + work);
        }
        return p;
    }

    private static void stop(List<Process> controllers) throws InterruptedException {
        for (Process p : controllers) {
            p.destroy();
        }
        for (Process p : controllers) {
            p.waitFor();
        }
        controllers.clear();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
