package dev.drawbridge.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Runs the {@code openssl} command line as a real peer in tests: CSRs, verification, CRL and OCSP. */
public final class OpenSsl {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private OpenSsl() {}

    /** What one run printed and how it ended. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** This result if it succeeded, else a test failure that shows the command and its stderr. */
        public Result orFail() {
            if (!ok()) {
                fail("openssl " + String.join(" ", command) + " exited " + exitCode + "\nstdout: " + stdout
                        + "\nstderr: " + stderr);
            }
            return this;
        }
    }

    /** Runs {@code openssl args...} in {@code dir}; relative paths in {@code args} resolve against it. */
    public static Result run(Path dir, String... args) {
        return run(dir, DEFAULT_TIMEOUT, Arrays.asList(args));
    }

    /** As {@link #run(Path, String...)}, failing the test with the output if openssl exits non-zero. */
    public static Result runOk(Path dir, String... args) {
        return run(dir, args).orFail();
    }

    public static Result run(Path dir, Duration timeout, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(binary().toString());
        command.addAll(args);
        try {
            Path out = Files.createTempFile(dir, "openssl", ".out");
            Path err = Files.createTempFile(dir, "openssl", ".err");
            try {
                // Output goes to files, not pipes, so a chatty command cannot block on a full pipe.
                Process process = new ProcessBuilder(command).directory(dir.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    fail("openssl " + String.join(" ", args) + " did not finish within " + timeout);
                }
                return new Result(List.copyOf(args), process.exitValue(),
                        Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run openssl: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running openssl", e);
        }
    }

    /** The openssl binary on PATH; fails the test naming the Debian package when it is missing. */
    public static Path binary() {
        return onPath("openssl").orElseGet(() -> {
            fail("openssl is not installed: install the Debian package 'openssl' (apt-get install openssl)");
            throw new AssertionError("unreachable");
        });
    }

    /** A program on PATH; harnesses use it to name the missing package instead of failing obscurely. */
    static Optional<Path> onPath(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
