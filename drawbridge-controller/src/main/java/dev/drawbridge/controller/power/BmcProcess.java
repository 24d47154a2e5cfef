package dev.drawbridge.controller.power;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs one BMC client process with a deadline. On timeout the process and its children are killed, since a
 * hung ipmitool would otherwise hold a poll task forever. Secrets go in through the environment or stdin,
 * never argv, because argv is visible to every user of the machine in /proc.
 */
final class BmcProcess {
    record Result(int exitCode, String stdout, String stderr) {}

    private BmcProcess() {}

    static Result run(List<String> argv, Map<String, String> environment, String stdin, Duration timeout) {
        ProcessBuilder builder = new ProcessBuilder(argv);
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new PowerException("cannot run " + argv.getFirst() + ": " + e.getMessage(), e);
        }
        // Both pipes are drained concurrently so a chatty tool cannot block on a full pipe.
        CompletableFuture<String> out = drain(process.getInputStream());
        CompletableFuture<String> err = drain(process.getErrorStream());
        try {
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // The tool exited without reading stdin; its exit code and output say why.
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(process);
                throw new PowerException(argv.getFirst() + " did not finish within " + timeout.toMillis() + " ms");
            }
            return new Result(process.exitValue(), out.get(), err.get());
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new PowerException("interrupted while running " + argv.getFirst(), e);
        } catch (ExecutionException e) {
            throw new PowerException("cannot read the output of " + argv.getFirst(), e.getCause());
        }
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (stream) {
                result.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                result.completeExceptionally(new UncheckedIOException(e));
            }
        });
        return result;
    }

    private static void kill(Process process) {
        // fence agents run ipmitool as a child: end the descendants too, not only the Python process.
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
