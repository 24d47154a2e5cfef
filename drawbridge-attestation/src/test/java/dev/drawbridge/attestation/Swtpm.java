package dev.drawbridge.attestation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real swtpm (Debian swtpm, swtpm-tools) driven by tpm2-tools (Debian tpm2-tools) over TCP,
 * with an ECC EK persisted at 0x81010001, an ECDSA AK at 0x81010002, an RSASSA AK at 0x81010003
 * and an RSAPSS AK at 0x81010004.
 * No resource manager sits in between, so transient objects and sessions are flushed after each
 * command that loads them (the TPM has 3 object slots).
 */
final class Swtpm implements AutoCloseable {
    static final String EK = "0x81010001";
    static final String ECC_AK = "0x81010002";
    static final String RSA_AK = "0x81010003";
    static final String RSAPSS_AK = "0x81010004";

    private final Path dir;
    private final Process process;
    private final int port;

    private Swtpm(Path dir, Process process, int port) {
        this.dir = dir;
        this.process = process;
        this.port = port;
    }

    static Swtpm start() throws IOException, InterruptedException {
        requireTool("swtpm", "swtpm");
        requireTool("swtpm_ioctl", "swtpm-tools");
        requireTool("tpm2_quote", "tpm2-tools");
        Path dir = Files.createTempDirectory("swtpm");
        Files.createDirectories(dir.resolve("state"));
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = freePortPair();
            Process p = new ProcessBuilder("swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + dir.resolve("state"),
                    "--server", "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
                    "--ctrl", "type=tcp,port=" + (port + 1) + ",bindaddr=127.0.0.1",
                    "--flags", "not-need-init,startup-clear")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("swtpm.log").toFile()).start();
            if (awaitPort(port, p)) {
                Swtpm tpm = new Swtpm(dir, p, port);
                tpm.provision();
                return tpm;
            }
            p.destroyForcibly().waitFor();
        }
        throw new IllegalStateException("swtpm did not start; see " + dir.resolve("swtpm.log"));
    }

    private void provision() {
        run("tpm2_createek", "-c", EK, "-G", "ecc", "-u", path("ek.pub"));
        createAk(ECC_AK, "ecc", "ecdsa", "ecc");
        createAk(RSA_AK, "rsa", "rsassa", "rsa");
        createAk(RSAPSS_AK, "rsa", "rsapss", "rsapss");
    }

    private void createAk(String handle, String alg, String scheme, String prefix) {
        run("tpm2_createak", "-C", EK, "-c", path(prefix + ".ctx"), "-G", alg, "-g", "sha256", "-s", scheme,
                "-u", path(prefix + ".pub"), "-n", path(prefix + ".name"));
        run("tpm2_evictcontrol", "-C", "o", "-c", path(prefix + ".ctx"), handle);
        flush();
        run("tpm2_readpublic", "-c", handle, "-f", "pem", "-o", path(prefix + ".pem"), "-q", path(prefix + ".qname"));
    }

    /** Without a resource manager, loaded objects and sessions stay until flushed. */
    void flush() {
        run("tpm2_flushcontext", "-t");
        run("tpm2_flushcontext", "-l");
        run("tpm2_flushcontext", "-s");
    }

    byte[] file(String name) {
        try {
            return Files.readAllBytes(dir.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String path(String name) {
        return dir.resolve(name).toString();
    }

    /** The AK at a persistent handle, from its TPM2B_PUBLIC, with the qualified Name tpm2_readpublic reports. */
    AttestationKey ak(String prefix) {
        return AttestationKey.fromTpm2bPublic(file(prefix + ".pub")).withQualifiedName(file(prefix + ".qname"));
    }

    /** {@code tpm2_quote} with the given AK handle, selection and nonce; returns the three files. */
    Quote quote(String akHandle, String selection, byte[] nonce) {
        String tag = "q" + System.nanoTime();
        List<String> command = new ArrayList<>(List.of("tpm2_quote", "-c", akHandle, "-l", selection,
                "-q", HexFormat.of().formatHex(nonce),
                "-m", path(tag + ".msg"), "-s", path(tag + ".sig"), "-o", path(tag + ".pcrs"), "-g", "sha256"));
        if (akHandle.equals(RSAPSS_AK)) {
            command.addAll(List.of("--scheme", "rsapss")); // tpm2_quote otherwise asks for RSASSA and fails 0x2d2
        }
        run(command.toArray(String[]::new));
        lastQuote = tag;
        return new Quote(file(tag + ".msg"), file(tag + ".sig"), file(tag + ".pcrs"));
    }

    private String lastQuote = "";

    String lastQuoteMsgPath() {
        return path(lastQuote + ".msg");
    }

    /** Current SHA-256 PCR values from {@code tpm2_pcrread -o} (raw digests in ascending PCR order). */
    Map<Integer, byte[]> pcrs(int... indices) {
        String list = Arrays.stream(indices).sorted().mapToObj(Integer::toString).reduce((a, b) -> a + "," + b).orElseThrow();
        String out = "pcr" + System.nanoTime() + ".bin";
        run("tpm2_pcrread", "sha256:" + list, "-o", path(out));
        byte[] raw = file(out);
        Map<Integer, byte[]> values = new LinkedHashMap<>();
        int[] sorted = Arrays.stream(indices).sorted().toArray();
        for (int i = 0; i < sorted.length; i++) {
            values.put(sorted[i], Arrays.copyOfRange(raw, 32 * i, 32 * i + 32));
        }
        return values;
    }

    void extend(int pcr, byte[] digest) {
        run("tpm2_pcrextend", pcr + ":sha256=" + HexFormat.of().formatHex(digest));
    }

    /** A TPM Restart: Shutdown(STATE), a TPM init through the control channel, Startup(STATE). */
    void restart() {
        run("tpm2_shutdown");
        run("swtpm_ioctl", "--tcp", "127.0.0.1:" + (port + 1), "-i");
        run("tpm2_startup");
    }

    String run(String... command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
            pb.environment().put("TPM2TOOLS_TCTI", "swtpm:host=127.0.0.1,port=" + port);
            Path err = dir.resolve("stderr.txt");
            pb.redirectError(err.toFile());
            Process p = pb.start();
            byte[] stdout = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " timed out");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ": "
                        + Files.readString(err));
            }
            return new String(stdout, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void requireTool(String tool, String debianPackage) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return;
            }
        }
        throw new IllegalStateException(tool + " not found: install the Debian package " + debianPackage
                + " (apt-get install swtpm swtpm-tools tpm2-tools)");
    }

    static int freePortPair() throws IOException {
        for (int i = 0; i < 50; i++) {
            int port = ThreadLocalRandom.current().nextInt(20000, 60000);
            try (ServerSocket a = new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
                 ServerSocket b = new ServerSocket(port + 1, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException busy) {
                // try another pair
            }
        }
        throw new IOException("no free port pair for swtpm");
    }

    static boolean awaitPort(int port, Process p) throws InterruptedException {
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
            List<Path> all = new ArrayList<>(files.sorted(Comparator.reverseOrder()).toList());
            for (Path f : all) {
                Files.deleteIfExists(f);
            }
        }
    }
}
