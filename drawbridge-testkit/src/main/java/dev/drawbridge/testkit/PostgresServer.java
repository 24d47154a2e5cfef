package dev.drawbridge.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throwaway PostgreSQL server for tests: a real peer, not an emulation, so the store
 * conformance suite sees the engine's own locking and constraint behaviour.
 *
 * <p>One server per JVM ({@link #shared()}), started on first use and stopped by a shutdown hook;
 * tests isolate themselves with {@link #createDatabase(String)}. The cluster lives in a temp
 * directory, listens only on 127.0.0.1 and trusts every local connection. Durability is switched
 * off because the data is thrown away, which makes start-up and every commit fast.
 */
public final class PostgresServer {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresServer.class);
    private static final String SUPERUSER = "postgres";
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static PostgresServer shared;

    private final Path bin;
    private final Path root;
    private final Path data;
    private final int port;
    private final List<String> runAs;

    private PostgresServer(Path bin, Path root, int port, List<String> runAs) {
        this.bin = bin;
        this.root = root;
        this.data = root.resolve("data");
        this.port = port;
        this.runAs = runAs;
    }

    /** The JVM-wide server, started on first call; fails naming the Debian package when PostgreSQL is missing. */
    public static synchronized PostgresServer shared() {
        if (shared == null) {
            shared = start();
            PostgresServer server = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "postgres-server-stop"));
        }
        return shared;
    }

    public int port() {
        return port;
    }

    /** The superuser name; authentication is {@code trust}, so any password (or none) is accepted. */
    public String user() {
        return SUPERUSER;
    }

    /** JDBC URL of a database on this server (the JDBC driver is the caller's dependency, not the testkit's). */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Creates a fresh, empty database whose name starts with the given prefix, and returns its name. */
    public String createDatabase(String prefix) {
        String name = (prefix.replaceAll("[^A-Za-z0-9_]", "_") + "_" + DATABASES.incrementAndGet())
                .toLowerCase(Locale.ROOT);
        run(List.of(bin.resolve("psql").toString(), "-X", "-q", "-h", "127.0.0.1", "-p", String.valueOf(port),
                "-U", SUPERUSER, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE " + name), false);
        return name;
    }

    /** Stops the server at once and deletes its files; safe to call twice. */
    public synchronized void stop() {
        if (!Files.exists(root)) {
            return;
        }
        if (Files.exists(data.resolve("postmaster.pid"))) {
            stopServer();
        }
        deleteTree(root);
    }

    private void stopServer() {
        try {
            // Immediate mode: the data is disposable, and a smart shutdown would wait for open pools.
            run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"), true);
        } catch (RuntimeException e) {
            LOG.warn("stopping PostgreSQL failed: {}", e.getMessage());
        }
    }

    private static PostgresServer start() {
        Path bin = findBinaries().orElseThrow(() -> new IllegalStateException(
                "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found under /usr/lib/postgresql/*/bin;"
                        + " install the Debian package `postgresql` (apt-get install postgresql)"
                        + " or set DRAWBRIDGE_PG_BIN to the directory holding them"));
        // The free port is only free when we look; another process may take it before PostgreSQL
        // binds, so a failed start is retried on a new port.
        for (int attempt = 1; ; attempt++) {
            PostgresServer server = create(bin);
            try {
                server.initAndStart();
                return server;
            } catch (RuntimeException e) {
                server.stop();
                if (attempt == 3) {
                    throw e;
                }
                LOG.warn("PostgreSQL did not start on port {}, retrying: {}", server.port, e.getMessage());
            }
        }
    }

    private static PostgresServer create(Path bin) {
        try {
            Path root = Files.createTempDirectory("drawbridge-pg-");
            return new PostgresServer(bin, root, freePort(), unprivilegedPrefix(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A server of its own, not shared, for a test that stops and starts it; {@link #stop()} it at the end. */
    public static PostgresServer dedicated() {
        return start();
    }

    /**
     * Restarts' first half: a fast shutdown (every open connection is cut, running transactions roll back, what was
     * committed is written out), keeping the data: {@link #resume()} starts it again.
     */
    public synchronized void halt() {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop"), true);
    }

    /** Starts a halted server again, on the same port, with the same data. */
    public synchronized void resume() {
        startServer();
    }

    private void initAndStart() {
        long t0 = System.nanoTime();
        run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", SUPERUSER, "--auth=trust",
                "--no-sync", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"), true);
        startServer();
        LOG.info("PostgreSQL started on 127.0.0.1:{} in {} ms (data {})", port,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), data);
    }

    private void startServer() {
        String options = String.join(" ", "-p", String.valueOf(port), "-c", "listen_addresses=127.0.0.1",
                "-k", root.toString(), "-c", "fsync=off", "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off", "-c", "max_connections=300");
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", root.resolve("server.log").toString(),
                "-o", options, "-w", "-t", "60", "start"), true);
    }

    private static Optional<Path> findBinaries() {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("DRAWBRIDGE_PG_BIN");
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                // Newest major version first.
                versions.sorted(Comparator.comparing(PostgresServer::majorVersion).reversed())
                        .forEach(v -> candidates.add(v.resolve("bin")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return candidates.stream()
                .filter(p -> Files.isExecutable(p.resolve("initdb")) && Files.isExecutable(p.resolve("pg_ctl")))
                .findFirst();
    }

    private static int majorVersion(Path versionDir) {
        try {
            return Integer.parseInt(versionDir.getFileName().toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** PostgreSQL refuses to run as root, so as root we hand the directory to an unprivileged user. */
    private static List<String> unprivilegedPrefix(Path root) throws IOException {
        if (!"root".equals(System.getProperty("user.name"))) {
            return List.of();
        }
        UserPrincipalLookupService users = root.getFileSystem().getUserPrincipalLookupService();
        for (String user : List.of("postgres", "nobody")) {
            try {
                Files.setOwner(root, users.lookupPrincipalByName(user));
                return List.of("runuser", "-u", user, "--");
            } catch (IOException e) {
                LOG.debug("user {} not usable: {}", user, e.getMessage());
            }
        }
        throw new IllegalStateException("running as root and neither user `postgres` nor `nobody` exists");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private void run(List<String> command, boolean unprivileged) {
        List<String> full = new ArrayList<>(unprivileged ? runAs : List.of());
        full.addAll(command);
        try {
            Process p = new ProcessBuilder(full).directory(root.toFile()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + full);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("command failed (" + p.exitValue() + "): " + full + "\n" + out
                        + serverLogTail());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + full, e);
        }
    }

    private String serverLogTail() {
        Path log = root.resolve("server.log");
        try {
            if (!Files.exists(log)) {
                return "";
            }
            List<String> lines = Files.readAllLines(log);
            return "\nserver.log:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", dir, e.getMessage());
        }
    }
}
