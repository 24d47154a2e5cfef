package dev.drawbridge.bench;

import dev.drawbridge.controller.DataDir;
import dev.drawbridge.testkit.PostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The steady-state cost of membership on PostgreSQL: transactions and statements per second each controller makes
 * against the store while idle (no nodes), for one unclustered controller (the reference) and for three clustered
 * ones, measured by PostgreSQL's own counters ({@code pg_stat_database.xact_commit + xact_rollback} and the
 * statements of {@code pg_stat_statements} when it loads) over {@code SECONDS}. Controllers are separate processes
 * ({@code java -jar drawbridge.jar controller}). Prints one JSON line. Usage:
 * {@code java -cp drawbridge-bench.jar:drawbridge.jar:drawbridge-testkit.jar dev.drawbridge.bench.ClusterCostBench
 * CLI_JAR SECONDS HEARTBEAT}.
 */
public final class ClusterCostBench {
    private ClusterCostBench() {}

    public static void main(String[] args) throws Exception {
        Path cliJar = Path.of(args[0]);
        int seconds = Integer.parseInt(args[1]);
        String heartbeat = args.length > 2 ? args[2] : "2s";
        PostgresServer pg = PostgresServer.shared();
        Path dir = Files.createTempDirectory("cluster-cost");
        double single = measure(pg, cliJar, dir.resolve("single"), 1, false, seconds, heartbeat);
        double clustered = measure(pg, cliJar, dir.resolve("clustered"), 3, true, seconds, heartbeat);
        System.out.printf("{\"seconds\":%d,\"heartbeat\":\"%s\",\"single_tx_per_s\":%.2f,"
                        + "\"clustered_tx_per_s_per_controller\":%.2f,\"ratio\":%.2f}%n", seconds, heartbeat, single,
                clustered, clustered / single);
        pg.stop();
        System.exit(0);
    }

    /** Transactions per second per controller against a fresh database, after a 10 s settling period. */
    private static double measure(PostgresServer pg, Path cliJar, Path dir, int count, boolean clustered, int seconds,
                                  String heartbeat) throws Exception {
        String database = pg.createDatabase("cost");
        String url = pg.jdbcUrl(database);
        List<Process> procs = new ArrayList<>();
        try {
            for (int i = 1; i <= count; i++) {
                Path data = Files.createDirectories(dir.resolve("ctl-" + i));
                if (i > 1) {
                    new DataDir(dir.resolve("ctl-1")).shareWith(data);
                }
                procs.add(start(cliJar, data, Map.of("DRAWBRIDGE_STORE_URL", url, "DRAWBRIDGE_STORE_USER", pg.user(),
                        "DRAWBRIDGE_CLUSTER_ENABLED", Boolean.toString(clustered), "DRAWBRIDGE_CLUSTER_NAME",
                        "ctl-" + i, "DRAWBRIDGE_CLUSTER_HEARTBEAT", heartbeat)));
            }
            Thread.sleep(10_000);
            long before = transactions(url, pg.user(), database);
            Thread.sleep(seconds * 1000L);
            long after = transactions(url, pg.user(), database);
            // The two counter reads are transactions of their own: take them off.
            return (after - before - 1) / (double) seconds / count;
        } finally {
            for (Process p : procs) {
                p.destroy();
                p.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    private static long transactions(String url, String user, String database) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, "");
             Statement s = c.createStatement()) {
            // The statistics collector publishes with a delay; a fresh snapshot each time.
            s.execute("SELECT pg_stat_clear_snapshot()");
            try (ResultSet rs = s.executeQuery("SELECT xact_commit + xact_rollback FROM pg_stat_database"
                    + " WHERE datname = '" + database + "'")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static Process start(Path cliJar, Path data, Map<String, String> env) throws IOException,
            InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-jar", cliJar.toString(), "controller", "--data-dir",
                data.toString(), "--listen", "127.0.0.1:0").redirectErrorStream(true)
                .redirectOutput(data.resolve("controller.log").toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!Files.exists(data.resolve("controller.url"))) {
            if (!p.isAlive() || System.nanoTime() > end) {
                throw new IllegalStateException("controller did not start: " + Files.readString(
                        data.resolve("controller.log")));
            }
            Thread.sleep(100);
        }
        return p;
    }
}
