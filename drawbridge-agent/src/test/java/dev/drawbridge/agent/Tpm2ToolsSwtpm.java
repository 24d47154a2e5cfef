package dev.drawbridge.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real swtpm (Debian swtpm, swtpm-tools) on two free loopback ports, and tpm2-tools (Debian tpm2-tools) to look
 * at and disturb it the way an attacker or a boot would. No resource manager: the agent's code has to flush.
 */
final class Tpm2ToolsSwtpm implements AutoCloseable {
    private static final Pattern PCR_LINE = Pattern.compile("^\\s*(\\d+)\\s*:\\s*0x([0-9A-Fa-f]+)\\s*$", Pattern.MULTILINE);
    private final Path dir;
    private final Process process;
    private final int port;
    private final Tpm2ToolsRunner tools;

    private Tpm2ToolsSwtpm(Path dir, Process process, int port) {
        this.dir = dir;
        this.process = process;
        this.port = port;
        this.tools = new Tpm2ToolsRunner.Subprocess(tcti());
    }

    static Tpm2ToolsSwtpm start() throws IOException, InterruptedException {
        requireTool("swtpm", "swtpm");
        requireTool("swtpm_ioctl", "swtpm-tools");
        requireTool("tpm2_quote", "tpm2-tools");
        Path dir = Files.createTempDirectory("agent-swtpm");
        Path state = Files.createDirectories(dir.resolve("state"));
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = freePortPair();
            Process p = new ProcessBuilder("swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + state,
                    "--server", "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
                    "--ctrl", "type=tcp,port=" + (port + 1) + ",bindaddr=127.0.0.1",
                    "--flags", "not-need-init,startup-clear")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("swtpm.log").toFile()).start();
            if (listening(port, p)) {
                return new Tpm2ToolsSwtpm(dir, p, port);
            }
            p.destroyForcibly().waitFor(); // lost the port to someone else: another pair
        }
        throw new IllegalStateException("swtpm did not start; see " + dir.resolve("swtpm.log"));
    }

    String tcti() {
        return "swtpm:host=127.0.0.1,port=" + port;
    }

    String run(String... command) {
        return tools.run(Duration.ofSeconds(60), List.of(command));
    }

    /** Current values from {@code tpm2_pcrread sha256:...}'s text output ({@code "  7 : 0x..."} lines). */
    Map<Integer, byte[]> pcrs(int... indices) {
        StringBuilder list = new StringBuilder();
        for (int i : indices) {
            list.append(list.isEmpty() ? "" : ",").append(i);
        }
        String out = run("tpm2_pcrread", "sha256:" + list);
        Map<Integer, byte[]> values = new TreeMap<>();
        Matcher m = PCR_LINE.matcher(out);
        while (m.find()) {
            values.put(Integer.parseInt(m.group(1)), HexFormat.of().parseHex(m.group(2)));
        }
        if (values.size() != indices.length) {
            throw new IllegalStateException("tpm2_pcrread printed " + values.keySet() + ":\n" + out);
        }
        return values;
    }

    void extend(int pcr, byte[] digest) {
        run("tpm2_pcrextend", pcr + ":sha256=" + HexFormat.of().formatHex(digest));
    }

    /** Transient objects left loaded: should stay empty, the TPM has only 3 slots. */
    String transientHandles() {
        return run("tpm2_getcap", "handles-transient").strip();
    }

    private static void requireTool(String tool, String debianPackage) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return;
            }
        }
        throw new IllegalStateException(tool + " not found: install the Debian package " + debianPackage
                + " (apt-get install swtpm swtpm-tools tpm2-tools)");
    }

    private static int freePortPair() throws IOException {
        for (int i = 0; i < 50; i++) {
            int port;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            if (port >= 65535) {
                continue;
            }
            try (ServerSocket a = new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
                 ServerSocket b = new ServerSocket(port + 1, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException busy) {
                // the neighbour is taken: another pair
            }
        }
        throw new IOException("no free port pair for swtpm");
    }

    private static boolean listening(int port, Process p) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && p.isAlive()) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return true;
            } catch (IOException notYet) {
                Thread.sleep(20);
            }
        }
        return false;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : new ArrayList<>(files.sorted(Comparator.reverseOrder()).toList())) {
                Files.deleteIfExists(f);
            }
        }
    }
}
