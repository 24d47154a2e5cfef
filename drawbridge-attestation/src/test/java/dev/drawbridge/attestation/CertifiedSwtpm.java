package dev.drawbridge.attestation;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A swtpm manufactured by {@code swtpm_setup --create-ek-cert} with its own local CA (Debian swtpm,
 * swtpm-tools, tpm2-tools): the certified RSA-2048 EK at 0x81010001 (certificate in NV 0x01c00002
 * and written as DER to {@code ek/ek-rsa2048.crt}), and an RSASSA AK created under it and persisted
 * at 0x81010002. The CA is a root {@code swtpm-localca-rootca} and an intermediate {@code swtpm-localca}.
 */
final class CertifiedSwtpm implements AutoCloseable {
    static final String EK = "0x81010001";
    static final String EK_CERT_NV = "0x01c00002";
    static final String AK = "0x81010002";

    private final Path dir;
    private final Process process;
    private final int port;

    private CertifiedSwtpm(Path dir, Process process, int port) {
        this.dir = dir;
        this.process = process;
        this.port = port;
    }

    static void requireTools() {
        Swtpm.requireTool("swtpm", "swtpm");
        Swtpm.requireTool("swtpm_setup", "swtpm-tools");
        Swtpm.requireTool("swtpm_localca", "swtpm-tools");
        Swtpm.requireTool("tpm2_makecredential", "tpm2-tools");
        Swtpm.requireTool("tpm2_activatecredential", "tpm2-tools");
    }

    /**
     * Runs {@code swtpm_setup} into a new directory with a local CA of its own; returns the directory,
     * holding {@code state/}, {@code ca/} and {@code ek/}.
     */
    static Path manufacture() throws IOException, InterruptedException {
        requireTools();
        Path dir = Files.createTempDirectory("swtpm-ek");
        Files.createDirectories(dir.resolve("state"));
        Files.createDirectories(dir.resolve("ca"));
        Files.createDirectories(dir.resolve("ek"));
        Files.writeString(dir.resolve("swtpm_setup.conf"), String.join("\n",
                "create_certs_tool = " + onPath("swtpm_localca"),
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
        Process p = new ProcessBuilder("swtpm_setup", "--tpm2", "--tpmstate", dir.resolve("state").toString(),
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
        return dir;
    }

    /** Manufactures a TPM, starts it, and creates and persists an RSA AK under the certified RSA EK. */
    static CertifiedSwtpm start() throws IOException, InterruptedException {
        Path dir = manufacture();
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = Swtpm.freePortPair();
            Process p = new ProcessBuilder("swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + dir.resolve("state"),
                    "--server", "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
                    "--ctrl", "type=tcp,port=" + (port + 1) + ",bindaddr=127.0.0.1",
                    "--flags", "not-need-init,startup-clear")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("swtpm.log").toFile()).start();
            if (Swtpm.awaitPort(port, p)) {
                CertifiedSwtpm tpm = new CertifiedSwtpm(dir, p, port);
                tpm.provision();
                return tpm;
            }
            p.destroyForcibly().waitFor();
        }
        throw new IllegalStateException("swtpm did not start; see " + dir.resolve("swtpm.log"));
    }

    private void provision() {
        run("tpm2_readpublic", "-c", EK, "-f", "pem", "-o", path("ek.pem"));
        run("tpm2_createak", "-C", EK, "-c", path("ak.ctx"), "-G", "rsa", "-g", "sha256", "-s", "rsassa",
                "-u", path("ak.pub"), "-n", path("ak.name"));
        run("tpm2_evictcontrol", "-C", "o", "-c", path("ak.ctx"), AK);
        flush();
        run("tpm2_readpublic", "-c", AK, "-f", "pem", "-o", path("ak.pem"));
    }

    /**
     * {@code tpm2_activatecredential} of a {@code tpm2_makecredential}-format file with the AK and the
     * EK (PolicySecret(endorsement) session); returns the recovered secret. The tool's stdout, which
     * prints the secret, is discarded.
     */
    byte[] activate(byte[] credentialFile) {
        String tag = "cred" + System.nanoTime();
        try {
            Files.write(dir.resolve(tag + ".in"), credentialFile);
            run("tpm2_startauthsession", "--policy-session", "-S", path(tag + ".session"));
            try {
                run("tpm2_policysecret", "-S", path(tag + ".session"), "-c", "e");
                run("tpm2_activatecredential", "-c", AK, "-C", EK, "-i", path(tag + ".in"),
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

    Path dir() {
        return dir;
    }

    /** The AK's TPM Name, as {@code tpm2_createak -n} wrote it. */
    byte[] akName() {
        return file("ak.name");
    }

    /** The EK certificate as the TPM holds it in NV 0x01c00002. */
    byte[] ekCertificateFromNv() {
        String out = "nv" + System.nanoTime() + ".der";
        run("tpm2_nvread", EK_CERT_NV, "-o", path(out));
        return file(out);
    }

    static X509Certificate certificate(byte[] derOrPem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(derOrPem));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The EK certificate {@code --write-ek-cert-files} wrote, and the local CA's intermediate and root. */
    static X509Certificate ekCertificate(Path manufactured) throws IOException {
        return certificate(Files.readAllBytes(manufactured.resolve("ek/ek-rsa2048.crt")));
    }

    static X509Certificate intermediate(Path manufactured) throws IOException {
        return certificate(Files.readAllBytes(manufactured.resolve("ca/issuercert.pem")));
    }

    static X509Certificate root(Path manufactured) throws IOException {
        return certificate(Files.readAllBytes(manufactured.resolve("ca/swtpm-localca-rootca-cert.pem")));
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
                throw new IllegalStateException(command[0] + " timed out");
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

    private static String onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return Path.of(d, tool).toString();
            }
        }
        throw new IllegalStateException(tool + " not found: install the Debian package swtpm-tools");
    }

    static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(files.sorted(Comparator.reverseOrder()).toList());
            for (Path f : all) {
                Files.deleteIfExists(f);
            }
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        delete(dir);
    }
}
