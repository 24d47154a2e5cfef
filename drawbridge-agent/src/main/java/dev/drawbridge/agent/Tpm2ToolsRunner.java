package dev.drawbridge.agent;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs one tpm2-tools program and returns its standard output. The seam between {@link Tpm2ToolsTpm} and the
 * processes it starts, so a test can watch or disturb individual calls.
 */
interface Tpm2ToolsRunner {
    /**
     * Runs {@code command} (argv, no shell) and returns its stdout; a non-zero exit, a timeout or a missing program
     * is a {@link CommandFailed} naming the program and the end of its stderr.
     */
    String run(Duration timeout, List<String> command);

    /** The real thing: a subprocess with {@code TPM2TOOLS_TCTI} set, killed when it overruns its timeout. */
    final class Subprocess implements Tpm2ToolsRunner {
        /** How much of a failing tool's stderr goes into the error: enough for tpm2-tools' last ERROR line. */
        static final int STDERR_CHARS = 300;
        private final String tcti;

        Subprocess(String tcti) {
            this.tcti = Objects.requireNonNull(tcti, "tcti");
        }

        String tcti() {
            return tcti;
        }

        @Override
        public String run(Duration timeout, List<String> command) {
            String program = command.getFirst();
            Path out = null;
            Path err = null;
            try {
                out = Files.createTempFile("tpm2-out", ".txt");
                err = Files.createTempFile("tpm2-err", ".txt");
                ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(nullFile()))
                        .redirectOutput(out.toFile()).redirectError(err.toFile());
                pb.environment().put("TPM2TOOLS_TCTI", tcti);
                Process p;
                try {
                    p = pb.start();
                } catch (IOException e) {
                    throw new CommandFailed(program + " cannot run (" + e.getMessage()
                            + "): install tpm2-tools (Debian package tpm2-tools)", e);
                }
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                    throw new CommandFailed(program + " did not finish within " + timeout.toSeconds()
                            + " s (TPM2TOOLS_TCTI " + tcti + ")");
                }
                if (p.exitValue() != 0) {
                    throw new CommandFailed(program + " failed with exit code " + p.exitValue() + " (TPM2TOOLS_TCTI "
                            + tcti + "): " + tail(Files.readString(err, StandardCharsets.UTF_8)));
                }
                return Files.readString(out, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new CommandFailed(program + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommandFailed(program + " was interrupted", e);
            } finally {
                deleteQuietly(out);
                deleteQuietly(err);
            }
        }

        private static File nullFile() {
            return new File("/dev/null");
        }

        /** The last lines of stderr, where tpm2-tools puts its "ERROR: ..." summary, on one short line. */
        static String tail(String stderr) {
            List<String> lines = stderr.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
            if (lines.isEmpty()) {
                return "no error output";
            }
            List<String> errors = lines.stream().filter(l -> l.startsWith("ERROR")).toList();
            List<String> pick = errors.isEmpty() ? lines : errors;
            String joined = String.join(" | ", pick.subList(Math.max(0, pick.size() - 2), pick.size()));
            return joined.length() <= STDERR_CHARS ? joined : "..." + joined.substring(joined.length() - STDERR_CHARS);
        }

        private static void deleteQuietly(Path file) {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a stray temp file is not worth failing a command over
                }
            }
        }
    }
}
