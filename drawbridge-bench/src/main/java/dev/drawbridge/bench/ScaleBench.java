package dev.drawbridge.bench;

import dev.drawbridge.protocol.Wire;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * A controller polling and attesting a simulated fleet: starts {@code drawbridge controller} and
 * {@code drawbridge simulate} as two processes, waits until every node is manageable (so each poll is an
 * attestation: one quote request), lets the schedule settle, then measures {@code windows} fixed windows back to
 * back, one JSON line each: controller CPU and RSS and threads from /proc, the simulator's CPU separately, poll
 * lateness (percentiles over the window, from the histogram buckets on /metrics), polls and store writes per
 * second. With {@code --storm-percent P}, then drifts P% of the nodes at once ({@link ScaleStorm}).
 *
 * <pre>java -cp drawbridge-bench.jar:drawbridge.jar dev.drawbridge.bench.ScaleBench --jar drawbridge.jar --nodes 1000
 *   [--poll-interval 10s] [--settle 40] [--window 60] [--windows 1] [--storm-percent 0] [--work DIR] [--port 18500]
 *   [--controller-opts "-Xmx512m"] [--sim-opts "-Xmx8g"]</pre>
 */
public final class ScaleBench {
    private static final double TICK = 100.0; // USER_HZ; getconf CLK_TCK is 100 on every Linux we run on

    public static void main(String[] args) throws Exception {
        Map<String, String> o = ScaleOptions.parse(args);
        Path jar = Path.of(o.getOrDefault("jar", "drawbridge-cli/target/drawbridge.jar")).toAbsolutePath();
        int nodes = Integer.parseInt(o.getOrDefault("nodes", "1000"));
        String interval = o.getOrDefault("poll-interval", "10s");
        int settle = Integer.parseInt(o.getOrDefault("settle", "40"));
        int window = Integer.parseInt(o.getOrDefault("window", "60"));
        int windows = Integer.parseInt(o.getOrDefault("windows", "1"));
        int port = Integer.parseInt(o.getOrDefault("port", "18500"));
        Path work = Path.of(o.getOrDefault("work", Files.createTempDirectory("bench-scale").toString()));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path ctlDir = work.resolve("controller");
        Files.createDirectories(work);

        List<String> ctlCmd = new ArrayList<>(List.of(java));
        ctlCmd.addAll(ScaleOptions.split(o.getOrDefault("controller-opts", "")));
        ctlCmd.addAll(List.of("-jar", jar.toString(), "controller", "--data-dir", ctlDir.toString(), "--listen",
                "127.0.0.1:" + port));
        ProcessBuilder cpb = new ProcessBuilder(ctlCmd).redirectErrorStream(true)
                .redirectOutput(work.resolve("controller.log").toFile());
        cpb.environment().put("DRAWBRIDGE_CONDUCTOR_POLL_INTERVAL", interval);
        Process controller = cpb.start();
        SimFleet fleet = null;
        try {
            await(() -> Files.exists(ctlDir.resolve("controller.url")), Duration.ofSeconds(60), "controller start");
            fleet = SimFleet.start(java, jar, ctlDir, nodes, o, work);
            List<Process> sims = fleet.processes();
            List<Path> simDirs = fleet.dirs();
            int procs = sims.size();
            double readySeconds = fleet.awaitReady(Duration.ofMinutes(60), work);
            System.err.printf(Locale.ROOT, "bench-scale: %d nodes manageable after %.0f s (%d simulator process%s);"
                    + " settling %d s%n", nodes, readySeconds, procs, procs == 1 ? "" : "es", settle);
            Thread.sleep(settle * 1000L);

            Metrics scrape = new Metrics(ctlDir, port);
            for (int win = 1; win <= windows; win++) {
                ProcStat c0 = ProcStat.of(controller.pid());
                ProcStat s0 = ProcStat.of(sims);
                long[] m0 = ProcStat.machine();
                Map<String, Double> before = scrape.get();
                long w0 = System.nanoTime();
                long maxRss = 0;
                int maxThreads = 0;
                while (System.nanoTime() - w0 < window * 1_000_000_000L) {
                    Thread.sleep(2000);
                    ProcStat now = ProcStat.of(controller.pid());
                    maxRss = Math.max(maxRss, now.rssKb());
                    maxThreads = Math.max(maxThreads, now.threads());
                }
                ProcStat c1 = ProcStat.of(controller.pid());
                ProcStat s1 = ProcStat.of(sims);
                long[] m1 = ProcStat.machine();
                Map<String, Double> after = scrape.get();
                double secs = (System.nanoTime() - w0) / 1e9;

                double ctlCores = (c1.ticks() - c0.ticks()) / TICK / secs;
                double simCores = (s1.ticks() - s0.ticks()) / TICK / secs;
                double machineBusy = ((m1[0] - m1[1]) - (m0[0] - m0[1])) / TICK / secs;
                double benchCores = 0; // this process only sleeps and reads /proc during the window
                double polls = delta(before, after, "drawbridge_conductor_polls_total");
                double writes = 0;
                Map<String, Double> byKind = new LinkedHashMap<>();
                for (String k : after.keySet()) {
                    if (k.startsWith("drawbridge_conductor_store_writes_total")) {
                        double d = delta(before, after, k);
                        writes += d;
                        byKind.put(k.replaceAll(".*kind=\"([^\"]*)\".*", "$1"), d / secs);
                    }
                }
                double p50 = Metrics.quantile(before, after, "drawbridge_conductor_poll_lateness_seconds_bucket", 0.50);
                double p99 = Metrics.quantile(before, after, "drawbridge_conductor_poll_lateness_seconds_bucket", 0.99);
                double lateMax = after.getOrDefault("drawbridge_conductor_poll_lateness_seconds_max", Double.NaN);
                double usPerPoll = polls > 0 ? (c1.ticks() - c0.ticks()) / TICK * 1e6 / polls : Double.NaN;

                Map<String, Object> out = new LinkedHashMap<>();
                out.put("nodes", nodes);
            out.put("window", win);
                out.put("poll_interval", interval);
                out.put("window_s", Math.round(secs));
                out.put("ready_s", Math.round(readySeconds));
                out.put("polls_per_s", round(polls / secs));
                out.put("controller_cores", round(ctlCores));
                out.put("controller_us_per_node_poll", Math.round(usPerPoll));
                out.put("controller_rss_mib", c1.rssKb() / 1024);
                out.put("controller_rss_max_mib", maxRss / 1024);
                out.put("controller_threads", c1.threads());
                out.put("controller_threads_max", maxThreads);
                out.put("lateness_p50_ms", round(p50 * 1000));
                out.put("lateness_p99_ms", round(p99 * 1000));
                out.put("lateness_max_recent_ms", round(lateMax * 1000));
                out.put("store_writes_per_s", round(writes / secs));
                byKind.replaceAll((k, v) -> round(v));
                out.put("store_writes_per_s_by_kind", byKind);
                out.put("simulator_cores", round(simCores));
                out.put("simulator_rss_mib", s1.rssKb() / 1024);
                out.put("simulator_threads", s1.threads());
                out.put("simulator_processes", sims.size());
                out.put("other_cores", round(Math.max(0, machineBusy - ctlCores - simCores - benchCores)));
                out.put("work", work.toString());
                System.out.println(Wire.JSON.writeValueAsString(out));
                System.out.printf(Locale.ROOT, "%d nodes @ %s: controller %.3f cores (%d µs/node-poll), RSS %d MiB, %d threads;"
                                + " lateness p50 %.0f ms p99 %.0f ms; %.1f polls/s; %.1f store writes/s; simulator %.2f cores,"
                                + " RSS %d MiB, %d threads%n", nodes, interval, ctlCores, Math.round(usPerPoll),
                        c1.rssKb() / 1024, c1.threads(), p50 * 1000, p99 * 1000, polls / secs, writes / secs, simCores,
                        s1.rssKb() / 1024, s1.threads());
            }
            int stormPercent = Integer.parseInt(o.getOrDefault("storm-percent", "0"));
            if (stormPercent > 0) {
                new ScaleStorm(ctlDir, port, simDirs, nodes, stormPercent).run();
            }
        } finally {
            if (fleet != null) {
                fleet.close();
            }
            controller.destroy();
            controller.waitFor();
        }
    }

    static double delta(Map<String, Double> a, Map<String, Double> b, String key) {
        return b.getOrDefault(key, 0.0) - a.getOrDefault(key, 0.0);
    }

    static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    static void await(BooleanSupplier ok, Duration limit, String what) throws Exception {
        Instant end = Instant.now().plus(limit);
        while (!ok.getAsBoolean()) {
            if (Instant.now().isAfter(end)) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            Thread.sleep(500);
        }
    }

    /** CPU ticks (utime + stime), resident set and thread count of one process, from /proc (proc(5)). */
    record ProcStat(long ticks, long rssKb, int threads) {
        /** The sum over several processes (the simulators). */
        static ProcStat of(List<Process> processes) throws IOException {
            long ticks = 0;
            long rss = 0;
            int threads = 0;
            for (Process p : processes) {
                ProcStat one = of(p.pid());
                ticks += one.ticks();
                rss += one.rssKb();
                threads += one.threads();
            }
            return new ProcStat(ticks, rss, threads);
        }

        static ProcStat of(long pid) throws IOException {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            long rss = 0;
            int threads = 0;
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("\\D", ""));
                } else if (line.startsWith("Threads:")) {
                    threads = Integer.parseInt(line.replaceAll("\\D", ""));
                }
            }
            return new ProcStat(ticks(stat), rss, threads);
        }

        /** utime + stime from the text of a /proc/.../stat file (a process's or one of its tasks'). */
        static long ticks(String stat) {
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        }

        /** The aggregate cpu line of /proc/stat: total ticks and idle + iowait ticks. */
        static long[] machine() throws IOException {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i <= 8; i++) {
                total += Long.parseLong(f[i]);
            }
            return new long[] {total, Long.parseLong(f[4]) + Long.parseLong(f[5])};
        }
    }

    /** Scrapes the controller's Prometheus text; keys are the metric name with its labels as written. */
    static final class Metrics {
        private final HttpClient http;
        private final URI uri;
        private final String token;

        Metrics(Path ctlDir, int port) throws Exception {
            this.http = HttpClient.newBuilder().sslContext(TrustingTls.of(Files.readString(ctlDir.resolve("ca.pem")))).build();
            this.uri = URI.create("https://127.0.0.1:" + port + "/metrics");
            this.token = Files.readString(ctlDir.resolve("admin.token")).strip();
        }

        Map<String, Double> get() throws Exception {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token)
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            Map<String, Double> out = new LinkedHashMap<>();
            for (String line : r.body().split("\n")) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                int sp = line.lastIndexOf(' ');
                try {
                    out.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
                } catch (NumberFormatException e) {
                    // Not a sample.
                }
            }
            return out;
        }

        /** The upper bound of the bucket holding quantile {@code q} of the samples that arrived between two scrapes. */
        static double quantile(Map<String, Double> a, Map<String, Double> b, String name, double q) {
            List<double[]> buckets = new ArrayList<>();
            for (var e : b.entrySet()) {
                if (e.getKey().startsWith(name + "{")) {
                    String le = e.getKey().replaceAll(".*le=\"([^\"]*)\".*", "$1");
                    double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
                    buckets.add(new double[] {bound, e.getValue() - a.getOrDefault(e.getKey(), 0.0)});
                }
            }
            buckets.sort((x, y) -> Double.compare(x[0], y[0]));
            if (buckets.isEmpty() || buckets.get(buckets.size() - 1)[1] == 0) {
                return Double.NaN;
            }
            double total = buckets.get(buckets.size() - 1)[1];
            for (double[] bk : buckets) {
                if (bk[1] >= q * total) {
                    return bk[0];
                }
            }
            return Double.POSITIVE_INFINITY;
        }
    }
}
