package dev.drawbridge.bench;

import static dev.drawbridge.bench.ScaleBench.await;
import static dev.drawbridge.bench.ScaleBench.delta;
import static dev.drawbridge.bench.ScaleBench.round;

import dev.drawbridge.bench.ScaleBench.Metrics;
import dev.drawbridge.bench.ScaleBench.ProcStat;
import dev.drawbridge.controller.DataDir;
import dev.drawbridge.protocol.Wire;
import dev.drawbridge.testkit.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One fleet, polled and attested by one controller and then by several clustered ones, on one PostgreSQL: does
 * adding controllers add capacity? The fleet ({@code drawbridge simulate}) is made manageable once by a single
 * unclustered controller, which is then measured over {@code windows} windows; it stops, and {@code controllers}
 * clustered controllers (the same CA, ports {@code port}, {@code port+1}, ...) start on the same store, split the
 * nodes on the ring, and are measured the same way once they poll the fleet on time and are as old as the single
 * controller was when it was measured (so neither shape pays for compiling its hot code). Per window and controller: CPU (from /proc), polls per second
 * and poll lateness (p50/p99 from each controller's /metrics histogram), and the nodes it holds. One JSON line per
 * window and configuration, then a summary line: the clustered controllers' total CPU against the single one's, and
 * the largest departure of one controller's CPU from their mean.
 *
 * <pre>java -cp drawbridge-bench.jar:drawbridge.jar:drawbridge-testkit.jar dev.drawbridge.bench.ClusterScaleBench
 *   --jar drawbridge.jar [--nodes 10000] [--controllers 3] [--poll-interval 10s] [--settle 40] [--window 60]
 *   [--windows 3] [--port 18600] [--controller-opts "-Xmx640m"] [--work DIR]</pre>
 */
public final class ClusterScaleBench {
    private static final double TICK = 100.0; // USER_HZ

    private ClusterScaleBench() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> o = ScaleOptions.parse(args);
        Path jar = Path.of(o.getOrDefault("jar", "drawbridge-cli/target/drawbridge.jar")).toAbsolutePath();
        int nodes = Integer.parseInt(o.getOrDefault("nodes", "10000"));
        int count = Integer.parseInt(o.getOrDefault("controllers", "3"));
        String interval = o.getOrDefault("poll-interval", "10s");
        int settle = Integer.parseInt(o.getOrDefault("settle", "40"));
        int window = Integer.parseInt(o.getOrDefault("window", "60"));
        int windows = Integer.parseInt(o.getOrDefault("windows", "3"));
        int port = Integer.parseInt(o.getOrDefault("port", "18600"));
        Path work = Path.of(o.getOrDefault("work", Files.createTempDirectory("bench-cluster-scale").toString()));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.createDirectories(work);

        PostgresServer pg = PostgresServer.shared();
        String url = pg.jdbcUrl(pg.createDatabase("scale"));
        Map<String, String> env = new LinkedHashMap<>(Map.of("DRAWBRIDGE_STORE_URL", url, "DRAWBRIDGE_STORE_USER",
                pg.user(), "DRAWBRIDGE_CONDUCTOR_POLL_INTERVAL", interval));
        Path first = work.resolve("ctl-1");
        List<Process> controllers = new ArrayList<>();
        try (SimFleet fleet = startFleet(java, jar, first, port, env, nodes, o, work, controllers)) {
            // One controller, unclustered: the reference.
            System.err.printf(Locale.ROOT, "bench-cluster-scale: one controller, settling %d s%n", settle);
            Thread.sleep(settle * 1000L);
            double singleAge = age(controllers);
            List<double[]> single = measure(controllers, first, port, windows, window, interval, nodes, "single");
            stop(controllers);

            // The same fleet on `count` clustered controllers sharing the CA.
            Map<String, String> clustered = new LinkedHashMap<>(env);
            clustered.put("DRAWBRIDGE_CLUSTER_ENABLED", "true");
            for (int i = 1; i <= count; i++) {
                Path data = work.resolve("ctl-" + i);
                if (i > 1) {
                    new DataDir(first).shareWith(data);
                }
                clustered.put("DRAWBRIDGE_CLUSTER_NAME", "ctl-" + i);
                controllers.add(startController(java, jar, data, port + i - 1, clustered, o, work));
            }
            Metrics ring = new Metrics(first, port);
            await(() -> held(ring) == nodes, Duration.ofMinutes(5), "the ring's shares to cover the fleet");
            // Each controller opens a connection to every agent it took over and compiles its hot code afresh: wait
            // until they poll the whole fleet on time, then as long again as the single one settled.
            double steady = awaitSteady(controllers.size(), first, port, nodes, interval, Duration.ofMinutes(10));
            // A young JVM still compiles its hot code (C2 took 0.01 core of each member at four minutes of age): the
            // members are measured once they are as old as the single controller was at its first window.
            long more = Math.max(settle, Math.round(singleAge - age(controllers)));
            System.err.printf(Locale.ROOT, "bench-cluster-scale: %d clustered controllers hold the fleet and poll it"
                    + " on time after %.0f s; settling %d s more (the single controller was %.0f s old when"
                    + " measured)%n", count, steady, more, singleAge);
            Thread.sleep(more * 1000L);
            double clusteredAge = age(controllers);
            List<double[]> many = measure(controllers, first, port, windows, window, interval, nodes, "clustered");

            double singleCores = median(single.stream().mapToDouble(w -> w[0]).toArray());
            double[] perController = new double[count];
            for (int c = 0; c < count; c++) {
                int k = c;
                perController[c] = median(many.stream().mapToDouble(w -> w[3 * k]).toArray());
            }
            double total = 0;
            for (double v : perController) {
                total += v;
            }
            double mean = total / count;
            double worst = 0;
            for (double v : perController) {
                worst = Math.max(worst, Math.abs(v - mean) / mean);
            }
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("summary", true);
            summary.put("nodes", nodes);
            summary.put("poll_interval", interval);
            summary.put("single_cores", round(singleCores));
            summary.put("clustered_cores_each", Arrays.stream(perController).map(ScaleBench::round)
                    .toArray());
            summary.put("clustered_cores_total", round(total));
            summary.put("total_ratio", round(total / singleCores));
            summary.put("single_age_s", Math.round(singleAge));
            summary.put("clustered_age_s", Math.round(clusteredAge));
            summary.put("max_departure_from_mean", round(worst));
            System.out.println(Wire.JSON.writeValueAsString(summary));
        } finally {
            stop(controllers);
            pg.stop();
        }
        System.exit(0);
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
     * Measures every controller over {@code windows} windows; each row holds, per controller, its cores, polls per
     * second and p99 lateness in ms.
     */
    private static List<double[]> measure(List<Process> controllers, Path dataDir, int port, int windows, int window,
                                          String interval, int nodes, String shape) throws Exception {
        List<Metrics> scrapes = new ArrayList<>();
        for (int c = 0; c < controllers.size(); c++) {
            scrapes.add(new Metrics(dataDir, port + c));
        }
        List<double[]> rows = new ArrayList<>();
        for (int win = 1; win <= windows; win++) {
            List<ProcStat> c0 = new ArrayList<>();
            List<Map<String, Double>> before = new ArrayList<>();
            for (int c = 0; c < controllers.size(); c++) {
                c0.add(ProcStat.of(controllers.get(c).pid()));
                before.add(scrapes.get(c).get());
            }
            long w0 = System.nanoTime();
            Thread.sleep(window * 1000L);
            double secs = (System.nanoTime() - w0) / 1e9;
            double[] row = new double[3 * controllers.size()];
            List<Map<String, Object>> each = new ArrayList<>();
            for (int c = 0; c < controllers.size(); c++) {
                ProcStat c1 = ProcStat.of(controllers.get(c).pid());
                Map<String, Double> after = scrapes.get(c).get();
                double cores = (c1.ticks() - c0.get(c).ticks()) / TICK / secs;
                double polls = delta(before.get(c), after, "drawbridge_conductor_polls_total") / secs;
                double p50 = Metrics.quantile(before.get(c), after, "drawbridge_conductor_poll_lateness_seconds_bucket",
                        0.50);
                double p99 = Metrics.quantile(before.get(c), after, "drawbridge_conductor_poll_lateness_seconds_bucket",
                        0.99);
                row[3 * c] = cores;
                row[3 * c + 1] = polls;
                row[3 * c + 2] = p99 * 1000;
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("controller", "ctl-" + (c + 1));
                one.put("cores", round(cores));
                one.put("polls_per_s", round(polls));
                one.put("lateness_p50_ms", round(p50 * 1000));
                one.put("lateness_p99_ms", round(p99 * 1000));
                one.put("rss_mib", c1.rssKb() / 1024);
                one.put("schedule_reads_per_s", scheduleReads(before.get(c), after, secs));
                each.add(one);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("shape", shape);
            out.put("nodes", nodes);
            out.put("poll_interval", interval);
            out.put("window", win);
            out.put("window_s", Math.round(secs));
            out.put("controllers", each);
            System.out.println(Wire.JSON.writeValueAsString(out));
            rows.add(row);
        }
        return rows;
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
