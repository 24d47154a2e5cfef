package dev.drawbridge.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real software TPM (Debian swtpm) on two free loopback ports, for tests that put an agent on it through
 * tpm2-tools (Debian tpm2-tools) and then disturb its PCRs as an attacker's boot change would.
 */
public final class Swtpm implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path dir;

    private Swtpm(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    public static Swtpm start() {
        for (String[] tool : new String[][] {{"swtpm", "swtpm"}, {"tpm2_pcrextend", "tpm2-tools"}}) {
            NetNs.require(tool[0], tool[1]);
        }
        try {
            Path dir = Files.createTempDirectory("swtpm");
            Path state = Files.createDirectories(dir.resolve("state"));
            for (int attempt = 0; attempt < 5; attempt++) {
                int port = freePair();
                Process p = new ProcessBuilder("swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + state,
                        "--server", "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
                        "--ctrl", "type=tcp,port=" + (port + 1) + ",bindaddr=127.0.0.1",
                        "--flags", "not-need-init,startup-clear")
                        .redirectErrorStream(true).redirectOutput(dir.resolve("swtpm.log").toFile()).start();
                for (int i = 0; i < 50 && p.isAlive(); i++) {
                    try (Socket s = new Socket("127.0.0.1", port)) {
                        return new Swtpm(p, port, dir);
                    } catch (IOException e) {
                        Thread.sleep(100);
                    }
                }
                p.destroyForcibly().waitFor();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return fail("swtpm did not start");
    }

    /** The TCTI string for tpm2-tools and for the agent's {@code --tcti}. */
    public String tcti() {
        return "swtpm:host=127.0.0.1,port=" + port;
    }

    /** Runs a tpm2-tools command against this TPM; a failure fails the test. */
    public String tpm2(String... command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true);
            pb.environment().put("TPM2TOOLS_TCTI", tcti());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                fail(String.join(" ", command) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePair() throws IOException {
        for (int i = 0; i < 20; i++) {
            try (ServerSocket a = new ServerSocket(0)) {
                int p = a.getLocalPort();
                if (p < 65535) {
                    try (ServerSocket b = new ServerSocket(p + 1)) {
                        return p;
                    } catch (IOException e) {
                        // taken: try another pair
                    }
                }
            }
        }
        throw new IOException("no free port pair");
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        } catch (IOException e) {
            // best effort
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
