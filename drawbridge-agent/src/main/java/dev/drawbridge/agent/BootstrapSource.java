package dev.drawbridge.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.pki.AtomicFiles;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.protocol.SerialLink;
import dev.drawbridge.protocol.Wire;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the agent's bootstrap payload comes from ({@code --bootstrap}): {@code file:PATH}, or {@code config-drive}
 * (the ISO 9660 volume labelled {@code config-2}, found by label, or {@code config-drive:DEVICE_OR_IMAGE}) in the
 * OpenStack config-drive layout, the payload in {@code openstack/latest/vendor_data2.json} under {@code drawbridge}.
 * The drive is read with {@code isoinfo} (Debian's genisoimage), no mount needed. A payload read from a drive is kept
 * in the data directory, so the agent restarts after the drive is ejected. Whatever the channel, the payload is then
 * checked the same way ({@link Payloads}). {@code serial:DEVICE} enrolls over the serial line itself (see
 * {@link #serial}).
 */
public final class BootstrapSource {
    private static final Logger LOG = LoggerFactory.getLogger(BootstrapSource.class);
    /** The volume label of an OpenStack config drive. */
    public static final String LABEL = "config-2";
    /** Where in the drive the payload is. */
    public static final String VENDOR_DATA = "/openstack/latest/vendor_data2.json";
    /** Where a payload read from a drive is kept. */
    static final String KEPT = "bootstrap-payload.jws";
    private static final Pattern VOLUME_ID = Pattern.compile("(?m)^Volume id: (.*)$");

    private BootstrapSource() {}

    /** The payload file for {@code spec}, reading a config drive into {@code dataDir} when it names one. */
    public static Path fetch(String spec, Path dataDir) {
        if (spec.startsWith("file:") && spec.length() > 5) {
            return Path.of(spec.substring(5));
        }
        if (spec.equals("config-drive") || spec.startsWith("config-drive:")) {
            Path kept = new DataFiles(dataDir).path(KEPT);
            Path device = spec.equals("config-drive") ? byLabel().orElse(null) : Path.of(spec.substring(13));
            if (device == null || !Files.exists(device)) {
                if (Files.exists(kept)) {
                    LOG.info("no config drive attached; using the payload read from one before ({})", kept);
                    return kept;
                }
                throw new AgentException("no config drive found" + (device == null ? " labelled " + LABEL
                        : " at " + device) + ": attach it, or name it with --bootstrap config-drive:/dev/sr0");
            }
            String payload = readConfigDrive(device);
            // Checked before it replaces the payload kept from an earlier drive: a bad drive must not erase a good one.
            Payloads.parse(payload, device);
            try {
                AtomicFiles.write(kept, payload.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new AgentException("cannot keep the payload in " + kept + ": " + e.getMessage(), e);
            }
            LOG.info("bootstrap payload read from config drive {} ({} bytes)", device, payload.length());
            return kept;
        }
        if (spec.startsWith("serial:") && spec.length() > 7) {
            return serial(Path.of(spec.substring(7)), dataDir, Clock.systemUTC());
        }
        throw new AgentException("--bootstrap must be file:PATH, config-drive, config-drive:DEVICE or serial:DEVICE,"
                + " not '" + spec + "'");
    }

    /** How long the agent waits on the serial line for the controller to begin, and then for each answer. */
    static final Duration SERIAL_WAIT = Duration.ofMinutes(30);
    static final Duration SERIAL_ANSWER = Duration.ofMinutes(2);

    /**
     * Enrollment over a serial line, with no IP path to the controller (the serial channel, {@link SerialLink}):
     * the payload comes down, is checked like any other, the agent makes its key and sends its CSR up, and the
     * certificate comes down; the agent checks it (its key, our root, the node profile), keeps it as its identity,
     * says DONE, and starts enrolled. An agent already enrolled with a payload kept from the line starts at once.
     */
    static Path serial(Path device, Path dataDir, Clock clock) {
        DataFiles files = new DataFiles(dataDir);
        Path kept = files.path(KEPT);
        IdentityStore store = new IdentityStore(files);
        if (Files.exists(kept) && store.load().filter(TlsIdentity.Current::enrolled).isPresent()) {
            LOG.info("enrolled before over the serial line; starting with the payload kept then ({})", kept);
            return kept;
        }
        if (!Files.exists(device)) {
            throw new AgentException("no serial device " + device + ": name the console port, e.g. serial:/dev/ttyS0");
        }
        SerialLink.rawMode(device);
        try (InputStream in = Files.newInputStream(device);
             OutputStream out = Files.newOutputStream(device, StandardOpenOption.WRITE);
             SerialLink link = new SerialLink(in, out, Duration.ofSeconds(2), 10)) {
            LOG.info("waiting for the bootstrap payload on {}", device);
            SerialLink.Message m = link.receive(SERIAL_WAIT);
            if (m.type() != SerialLink.Type.PAYLOAD) {
                throw new AgentException("the serial line sent " + m.type() + " where the payload was expected");
            }
            String payload = m.text();
            Payloads.Verified v;
            try {
                v = Payloads.parse(payload, device);
                Payloads.admit(v, files, false, clock, device);
            } catch (AgentException e) {
                link.send(SerialLink.Type.ERROR, e.getMessage().getBytes(StandardCharsets.UTF_8));
                throw e;
            }
            KeyPair keys = Keys.generate();
            link.send(SerialLink.Type.CSR, Keys.csr(keys, v.payload().nodeName()).getBytes(StandardCharsets.UTF_8));
            SerialLink.Message answer = link.receive(SERIAL_ANSWER);
            if (answer.type() == SerialLink.Type.ERROR) {
                throw new AgentException("the controller refused the enrollment: " + answer.text());
            }
            if (answer.type() != SerialLink.Type.CERT) {
                throw new AgentException("the serial line sent " + answer.type() + " where the certificate was"
                        + " expected");
            }
            List<X509Certificate> chain = certificates(answer.text());
            X509Certificate cert = chain.getFirst();
            String problem = !cert.getPublicKey().equals(keys.getPublic()) ? "its key is not the key of our CSR"
                    : Chains.problem(chain, v.root()).map(p -> "it does not chain to the payload root: " + p)
                    .orElse(Profile.of(cert).filter(Profile.NODE::equals).isEmpty() ? "it is not a node certificate"
                            : null);
            if (problem != null) {
                link.send(SerialLink.Type.ERROR, problem.getBytes(StandardCharsets.UTF_8));
                throw new AgentException("refusing the certificate sent over the serial line: " + problem);
            }
            List<X509Certificate> full = new java.util.ArrayList<>(chain);
            if (!full.contains(v.root())) {
                full.add(v.root());
            }
            store.save(new TlsIdentity.Current(keys.getPrivate(), full, true));
            AtomicFiles.write(kept, payload.getBytes(StandardCharsets.UTF_8));
            link.send(SerialLink.Type.DONE, cert.getSerialNumber().toString(16).getBytes(StandardCharsets.UTF_8));
            LOG.info("enrolled over {} as {}: certificate serial {} ({} frames sent again on a noisy line)", device,
                    v.payload().nodeName(), cert.getSerialNumber().toString(16), link.retransmissions());
            return kept;
        } catch (IOException e) {
            throw new AgentException("serial bootstrap on " + device + " failed: " + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> certificates(String json) {
        try {
            JsonNode tree = Wire.JSON.readTree(json);
            List<X509Certificate> out = new java.util.ArrayList<>();
            out.add(Pem.certificate(tree.path("certificate").asText()));
            for (JsonNode c : tree.path("chain")) {
                out.add(Pem.certificate(c.asText()));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            throw new AgentException("the certificate message over the serial line is malformed: " + e.getMessage(),
                    e);
        }
    }

    /** The payload in a config drive (a block device or an image file), after checking its label. */
    static String readConfigDrive(Path device) {
        String info = isoinfo("-d", "-i", device.toString());
        Matcher m = VOLUME_ID.matcher(info);
        String label = m.find() ? m.group(1).strip() : "";
        if (!label.equals(LABEL)) {
            throw new AgentException(device + " is not a config drive: its volume id is '" + label + "', not '"
                    + LABEL + "'");
        }
        String vendor = isoinfo("-R", "-i", device.toString(), "-x", VENDOR_DATA);
        try {
            JsonNode payload = Wire.JSON.readTree(vendor).path("drawbridge").path("payload");
            if (!payload.isTextual() || payload.asText().isBlank()) {
                throw new AgentException(device + " has no drawbridge.payload in " + VENDOR_DATA);
            }
            return payload.asText();
        } catch (IOException e) {
            throw new AgentException(device + ": " + VENDOR_DATA + " is not JSON: " + e.getMessage(), e);
        }
    }

    private static java.util.Optional<Path> byLabel() {
        Path udev = Path.of("/dev/disk/by-label", LABEL);
        if (Files.exists(udev)) {
            return java.util.Optional.of(udev);
        }
        try {
            Process p = new ProcessBuilder("blkid", "-L", LABEL).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && !out.isEmpty()
                    ? java.util.Optional.of(Path.of(out)) : java.util.Optional.empty();
        } catch (IOException e) {
            return java.util.Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.Optional.empty();
        }
    }

    private static String isoinfo(String... args) {
        if (!new File("/usr/bin/isoinfo").canExecute()) {
            throw new AgentException("isoinfo is missing: install the Debian package 'genisoimage' to read config"
                    + " drives");
        }
        List<String> cmd = new java.util.ArrayList<>(List.of("/usr/bin/isoinfo"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
            byte[] out = p.getInputStream().readNBytes(1 << 20);
            String err = new String(p.getErrorStream().readNBytes(4096), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AgentException("isoinfo took over 30 s on " + String.join(" ", args));
            }
            if (p.exitValue() != 0) {
                throw new AgentException("isoinfo " + String.join(" ", args) + " failed: " + err);
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AgentException("cannot run isoinfo: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException("interrupted reading the config drive", e);
        }
    }
}
