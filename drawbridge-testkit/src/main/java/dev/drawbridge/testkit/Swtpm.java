package dev.drawbridge.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real software TPM (Debian swtpm) on two free loopback ports, driven by tpm2-tools (Debian tpm2-tools) to
 * provision, quote and disturb it as an attacker's boot change would; blank, or manufactured by swtpm_setup
 * (Debian swtpm-tools) with a certified EK. No resource manager sits in between, so whoever loads objects or
 * starts sessions flushes them: the TPM has 3 object slots. A missing tool fails the test naming its package.
 */
public final class Swtpm implements AutoCloseable {
    private final Path dir;
    private final Process process;
    private final int port;

    private Swtpm(Path dir, Process process, int port) {
        this.dir = dir;
        this.process = process;
        this.port = port;
    }

    /** A blank TPM, its state in a new temporary directory that {@link #close()} deletes. */
    public static Swtpm start() {
        try {
            Path dir = Files.createTempDirectory("swtpm");
            Files.createDirectories(dir.resolve("state"));
            return launch(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The TPM {@link #manufacture()} made; {@link #close()} deletes its directory, CA included. */
    public static Swtpm start(Manufactured tpm) {
        return launch(tpm.dir());
    }

    /** Runs {@code swtpm_setup --create-ek-cert} with a local CA of its own into a new directory. */
    public static Manufactured manufacture() {
        return Manufactured.create(require("swtpm_setup", "swtpm-tools"), require("swtpm_localca", "swtpm-tools"));
    }

    private static Swtpm launch(Path dir) {
        require("swtpm", "swtpm");
        require("tpm2_quote", "tpm2-tools");
        try {
            for (int attempt = 0; attempt < 5; attempt++) {
                int port = freePortPair();
                Process p = new ProcessBuilder("swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + dir.resolve("state"),
                        "--server", "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
                        "--ctrl", "type=tcp,port=" + (port + 1) + ",bindaddr=127.0.0.1",
                        "--flags", "not-need-init,startup-clear")
                        .redirectErrorStream(true).redirectOutput(dir.resolve("swtpm.log").toFile()).start();
                if (listening(port, p)) {
                    return new Swtpm(dir, p, port);
                }
                p.destroyForcibly().waitFor(); // lost the port to someone else: another pair
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        throw new IllegalStateException("swtpm did not start; see " + dir.resolve("swtpm.log"));
    }

    /** The TCTI string for tpm2-tools and for the agent's {@code --tcti}. */
    public String tcti() {
        return "swtpm:host=127.0.0.1,port=" + port;
    }

    /** Runs a tpm2-tools command against this TPM and returns its stdout; a failure throws with its stderr. */
    public String tpm2(String... command) {
        try {
            Path err = Files.createTempFile(dir, "stderr", ".txt");
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectError(err.toFile());
            pb.environment().put("TPM2TOOLS_TCTI", tcti());
            Process p = pb.start();
            byte[] stdout = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " timed out");
            }
            String stderr = Files.readString(err);
            Files.delete(err);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ": " + stderr);
            }
            return new String(stdout, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Where this TPM's files are: its state, its log, and what the methods below write. */
    public Path dir() {
        return dir;
    }

    public String path(String name) {
        return dir.resolve(name).toString();
    }

    public byte[] file(String name) {
        try {
            return Files.readAllBytes(dir.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Flushes transient objects, loaded sessions and saved sessions. */
    public void flush() {
        tpm2("tpm2_flushcontext", "-t");
        tpm2("tpm2_flushcontext", "-l");
        tpm2("tpm2_flushcontext", "-s");
    }

    /** Transient objects left loaded: should stay empty. */
    public String transientHandles() {
        return tpm2("tpm2_getcap", "handles-transient").strip();
    }

    /** Creates an EK ({@code alg} ecc or rsa), persists it at {@code handle}, and writes its TPM2B_PUBLIC to {@code ek.pub}. */
    public void createEk(String handle, String alg) {
        tpm2("tpm2_createek", "-c", handle, "-G", alg, "-u", path("ek.pub"));
    }

    /**
     * Creates an AK under the EK, persists it at {@code akHandle}, and writes {@code <prefix>.pub} (TPM2B_PUBLIC),
     * {@code .name}, {@code .pem} and {@code .qname} (the qualified Name).
     */
    public void createAk(String ekHandle, String akHandle, String alg, String scheme, String prefix) {
        tpm2("tpm2_createak", "-C", ekHandle, "-c", path(prefix + ".ctx"), "-G", alg, "-g", "sha256", "-s", scheme,
                "-u", path(prefix + ".pub"), "-n", path(prefix + ".name"));
        tpm2("tpm2_evictcontrol", "-C", "o", "-c", path(prefix + ".ctx"), akHandle);
        flush();
        readPublic(akHandle, prefix);
    }

    /** Writes the public key at {@code handle} as {@code <prefix>.pem}, and its qualified Name as {@code .qname}. */
    public void readPublic(String handle, String prefix) {
        tpm2("tpm2_readpublic", "-c", handle, "-f", "pem", "-o", path(prefix + ".pem"), "-q", path(prefix + ".qname"));
    }

    /** What {@code tpm2_quote} wrote: TPMS_ATTEST, TPMT_SIGNATURE and the PCR values, and the TPMS_ATTEST's file. */
    public record Quoted(byte[] attest, byte[] signature, byte[] pcrs, Path attestFile) {}

    /** {@code tpm2_quote} with the AK at {@code akHandle}, its signing {@code scheme}, a PCR selection and a nonce. */
    public Quoted quote(String akHandle, String scheme, String selection, byte[] nonce) {
        String tag = "q" + System.nanoTime();
        tpm2("tpm2_quote", "-c", akHandle, "-l", selection, "-q", HexFormat.of().formatHex(nonce),
                "-m", path(tag + ".msg"), "-s", path(tag + ".sig"), "-o", path(tag + ".pcrs"), "-g", "sha256",
                "--scheme", scheme); // tpm2_quote otherwise asks for RSASSA, and an RSAPSS AK fails 0x2d2
        return new Quoted(file(tag + ".msg"), file(tag + ".sig"), file(tag + ".pcrs"), dir.resolve(tag + ".msg"));
    }

    /** Current SHA-256 PCR values from {@code tpm2_pcrread -o} (raw digests in ascending PCR order). */
    public Map<Integer, byte[]> pcrs(int... indices) {
        int[] sorted = Arrays.stream(indices).sorted().toArray();
        String out = "pcr" + System.nanoTime() + ".bin";
        tpm2("tpm2_pcrread", "sha256:" + Arrays.stream(sorted).mapToObj(Integer::toString).collect(Collectors.joining(",")),
                "-o", path(out));
        byte[] raw = file(out);
        if (raw.length != 32 * sorted.length) {
            throw new IllegalStateException("tpm2_pcrread wrote " + raw.length + " bytes for PCRs " + Arrays.toString(sorted));
        }
        Map<Integer, byte[]> values = new TreeMap<>();
        for (int i = 0; i < sorted.length; i++) {
            values.put(sorted[i], Arrays.copyOfRange(raw, 32 * i, 32 * i + 32));
        }
        return values;
    }

    public void extend(int pcr, byte[] digest) {
        tpm2("tpm2_pcrextend", pcr + ":sha256=" + HexFormat.of().formatHex(digest));
    }

    /** A TPM Restart: Shutdown(STATE), a TPM init through the control channel, Startup(STATE). */
    public void restart() {
        require("swtpm_ioctl", "swtpm-tools");
        tpm2("tpm2_shutdown");
        tpm2("swtpm_ioctl", "--tcp", "127.0.0.1:" + (port + 1), "-i");
        tpm2("tpm2_startup");
    }

    public byte[] nvRead(String index) {
        String out = "nv" + System.nanoTime() + ".bin";
        tpm2("tpm2_nvread", index, "-o", path(out));
        return file(out);
    }

    /**
     * {@code tpm2_activatecredential} of a {@code tpm2_makecredential}-format file with the AK and the EK
     * (PolicySecret(endorsement) session); returns the recovered secret. The tool's stdout, which prints the
     * secret, is discarded.
     */
    public byte[] activateCredential(String akHandle, String ekHandle, byte[] credentialFile) {
        String tag = "cred" + System.nanoTime();
        try {
            Files.write(dir.resolve(tag + ".in"), credentialFile);
            tpm2("tpm2_startauthsession", "--policy-session", "-S", path(tag + ".session"));
            try {
                tpm2("tpm2_policysecret", "-S", path(tag + ".session"), "-c", "e");
                tpm2("tpm2_activatecredential", "-c", akHandle, "-C", ekHandle, "-i", path(tag + ".in"),
                        "-o", path(tag + ".out"), "-P", "session:" + path(tag + ".session"));
                return Files.readAllBytes(dir.resolve(tag + ".out"));
            } finally {
                flush();
                Files.deleteIfExists(dir.resolve(tag + ".out"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A certificate as DER or PEM, as the TPM's NV or swtpm_setup's files hold it. */
    public static X509Certificate certificate(byte[] derOrPem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(derOrPem));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path require(String tool, String debianPackage) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return Path.of(d, tool);
            }
        }
        return fail(tool + " not found: install the Debian package " + debianPackage
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

    static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops swtpm and deletes its directory. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        delete(dir);
    }

    /**
     * A TPM as {@code swtpm_setup --create-ek-cert} made it, in {@code dir}: {@code state/}, the local CA in
     * {@code ca/} (a root {@code swtpm-localca-rootca} and an intermediate {@code swtpm-localca}), and the
     * RSA-2048 EK certificate as DER in {@code ek/ek-rsa2048.crt}.
     */
    public record Manufactured(Path dir) {
        /** Where swtpm_setup persists the RSA EK: the handle TCG's TPM 2.0 Provisioning Guidance reserves for it. */
        public static final String EK = "0x81010001";
        /** The NV index of the RSA-2048 EK certificate (TCG EK Credential Profile for TPM Family 2.0). */
        public static final String EK_CERTIFICATE_NV = "0x01c00002";

        static Manufactured create(Path swtpmSetup, Path swtpmLocalca) {
            try {
                Path dir = Files.createTempDirectory("swtpm-ek");
                for (String sub : List.of("state", "ca", "ek")) {
                    Files.createDirectories(dir.resolve(sub));
                }
                Files.writeString(dir.resolve("swtpm_setup.conf"), String.join("\n",
                        "create_certs_tool = " + swtpmLocalca,
                        "create_certs_tool_config = " + dir.resolve("swtpm-localca.conf"),
                        "create_certs_tool_options = " + dir.resolve("swtpm-localca.options"),
                        "active_pcr_banks = sha256", ""));
                Files.writeString(dir.resolve("swtpm-localca.conf"), String.join("\n",
                        "statedir = " + dir.resolve("ca"),
                        "signingkey = " + dir.resolve("ca/signkey.pem"),
                        "issuercert = " + dir.resolve("ca/issuercert.pem"),
                        "certserial = " + dir.resolve("ca/certserial"), ""));
                Files.writeString(dir.resolve("swtpm-localca.options"), String.join("\n",
                        "--platform-manufacturer Drawbridge", "--platform-version 2.1", "--platform-model test", ""));
                Process p = new ProcessBuilder(swtpmSetup.toString(), "--tpm2", "--tpmstate", dir.resolve("state").toString(),
                        "--createek", "--create-ek-cert", "--config", dir.resolve("swtpm_setup.conf").toString(),
                        "--write-ek-cert-files", dir.resolve("ek").toString())
                        .redirectErrorStream(true).redirectOutput(dir.resolve("swtpm_setup.log").toFile()).start();
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                    throw new IllegalStateException("swtpm_setup timed out");
                }
                if (p.exitValue() != 0 || !Files.exists(dir.resolve("ek/ek-rsa2048.crt"))) {
                    throw new IllegalStateException("swtpm_setup exited " + p.exitValue() + ": "
                            + Files.readString(dir.resolve("swtpm_setup.log")));
                }
                return new Manufactured(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        /** The EK certificate {@code --write-ek-cert-files} wrote. */
        public X509Certificate ekCertificate() {
            return read("ek/ek-rsa2048.crt");
        }

        public X509Certificate intermediate() {
            return read("ca/issuercert.pem");
        }

        public X509Certificate root() {
            return read("ca/swtpm-localca-rootca-cert.pem");
        }

        /** Deletes the directory, for a TPM that was never started (a started one is deleted by its close). */
        public void delete() {
            Swtpm.delete(dir);
        }

        private X509Certificate read(String name) {
            try {
                return certificate(Files.readAllBytes(dir.resolve(name)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
