package dev.drawbridge.controller.enroll;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An external CA reached by running a command: the CSR PEM goes to its stdin and the certificate PEM is
 * read from its stdout. Exit 0 is success, exit 2 means the CA refused the CSR, anything else is a failure.
 */
final class CommandUpstream implements UpstreamCa {
    private final List<String> command;
    private final String rootPem;
    private final Duration timeout;

    CommandUpstream(List<String> command, String rootPem, Duration timeout) {
        this.command = List.copyOf(command);
        this.rootPem = rootPem;
        this.timeout = timeout;
    }

    @Override
    public String sign(String csrPem) throws BadCsr, UpstreamFailure {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new UpstreamFailure("cannot start the upstream CA command: " + e.getMessage());
        }
        try (OutputStream in = p.getOutputStream()) {
            in.write(csrPem.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            p.destroyForcibly();
            throw new UpstreamFailure("the upstream CA command did not read the CSR: " + e.getMessage());
        }
        try {
            byte[] out = p.getInputStream().readNBytes(256 * 1024);
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new UpstreamFailure("the upstream CA command did not finish in " + timeout);
            }
            String pem = new String(out, StandardCharsets.US_ASCII);
            return switch (p.exitValue()) {
                case 0 -> requireCertificate(pem);
                case 2 -> throw new BadCsr("the upstream CA refused the CSR");
                default -> throw new UpstreamFailure("the upstream CA command exited with " + p.exitValue());
            };
        } catch (IOException e) {
            throw new UpstreamFailure("reading the upstream CA's answer failed: " + e.getMessage());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new UpstreamFailure("interrupted");
        }
    }

    static String requireCertificate(String pem) throws UpstreamFailure {
        if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
            throw new UpstreamFailure("the upstream CA answered without a PEM certificate");
        }
        return pem.substring(pem.indexOf("-----BEGIN CERTIFICATE-----")).strip() + "\n";
    }

    @Override
    public boolean ready() {
        return true;
    }

    @Override
    public String rootPem() {
        return rootPem;
    }

    @Override
    public String kind() {
        return "command";
    }
}
