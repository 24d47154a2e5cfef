package dev.drawbridge.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A controller in its own JVM on a data directory, for tests that kill it with SIGKILL and start it again. */
final class ControllerProcess implements AutoCloseable {
    private final Process process;

    private ControllerProcess(Process process) {
        this.process = process;
    }

    /** Starts a controller on {@code data} with fast polling and {@code env}, and waits until it listens. */
    static ControllerProcess start(Path data, Path log, Map<String, String> env) throws Exception {
        Files.deleteIfExists(data.resolve("controller.url"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "dev.drawbridge.cli.Main", "controller", "--data-dir", data.toString(), "--listen", "127.0.0.1:0")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("DRAWBRIDGE_CONDUCTOR_POLL_INTERVAL", "500ms");
        pb.environment().put("DRAWBRIDGE_CONDUCTOR_BUSY_POLL_INTERVAL", "100ms");
        pb.environment().putAll(env);
        Process p = pb.start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (!Files.exists(data.resolve("controller.url"))) {
            if (!p.isAlive() || Instant.now().isAfter(deadline)) {
                p.destroyForcibly();
                throw new AssertionError("controller did not start: " + Files.readString(log));
            }
            Thread.sleep(100);
        }
        return new ControllerProcess(p);
    }

    /**
     * A {@code drawbridge} command in {@code dir} that runs this JVM's class path (for the OCF resource agent, which
     * starts the controller itself): 0755, so ocf-tester's runs as nobody and Pacemaker's can use it.
     */
    static Path launcher(Path dir) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path script = dir.resolve("drawbridge");
        Files.writeString(script, "#!/bin/sh\nexec '" + java + "' -cp '" + System.getProperty("java.class.path")
                + "' dev.drawbridge.cli.Main \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL, and wait until it is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("the controller did not die");
        }
    }

    /** Waits for the process to end by itself (a crash point halted it); its exit status. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the controller did not stop within " + timeout);
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
