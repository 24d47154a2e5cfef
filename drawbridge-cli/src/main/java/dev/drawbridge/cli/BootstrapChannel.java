package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.pki.AtomicFiles;
import dev.drawbridge.pki.Jws;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One way a signed bootstrap payload reaches a node ({@code drawbridge node payload NAME --channel ...}). Each
 * channel packs the same payload; the agent checks it the same way whichever brought it.
 */
interface BootstrapChannel {
    /** What a channel made: the file, its size, and how the node's agent reads it. */
    record Delivery(String channel, Path artifact, long bytes, String agentReadsIt) {}

    String name();

    /** Packs {@code payload} (a compact JWS) for the node into {@code out}. */
    Delivery deliver(String payload, Path out) throws IOException;

    /** The channels by name. */
    static BootstrapChannel named(String name) {
        return switch (name) {
            case "file" -> new FileChannel();
            case "config-drive" -> new ConfigDriveChannel();
            case "serial" -> throw new CliException("the serial channel is interactive: run 'drawbridge"
                    + " serial-enroll NAME --device /dev/ttyS1' with the node's agent on --bootstrap serial:DEVICE");
            default -> throw new CliException("--channel must be file or config-drive, not '" + name + "' (serial:"
                    + " drawbridge serial-enroll; virtual media is not built yet)");
        };
    }

    /** The payload as a file (0600), for an operator's hand or any tool that copies files. */
    final class FileChannel implements BootstrapChannel {
        @Override
        public String name() {
            return "file";
        }

        @Override
        public Delivery deliver(String payload, Path out) throws IOException {
            byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(out, bytes);
            return new Delivery(name(), out, bytes.length, "drawbridge agent --bootstrap file:" + out);
        }
    }

    /**
     * An ISO 9660 image in the OpenStack config-drive layout (volume label {@code config-2}), made with Debian's
     * {@code xorriso}: {@code openstack/latest/meta_data.json} names the node, and {@code vendor_data2.json} holds
     * the payload under {@code drawbridge}. Attach it as a CD or a disk; the agent finds it by label.
     */
    final class ConfigDriveChannel implements BootstrapChannel {
        @Override
        public String name() {
            return "config-drive";
        }

        @Override
        public Delivery deliver(String payload, Path out) throws IOException {
            if (!Files.isExecutable(Path.of("/usr/bin/xorriso"))) {
                throw new CliException("xorriso is missing: install the Debian package 'xorriso' to make config"
                        + " drives");
            }
            JsonNode claims = Wire.JSON.readTree(Jws.unverifiedPayload(payload).orElseThrow(() ->
                    new CliException("the controller's payload is not a compact JWS")));
            Path staging = Files.createTempDirectory("drawbridge-config-drive");
            try {
                Path latest = Files.createDirectories(staging.resolve("openstack/latest"));
                Map<String, Object> meta = new LinkedHashMap<>();
                meta.put("uuid", claims.path("node_id").asText());
                meta.put("name", claims.path("node_name").asText());
                meta.put("hostname", claims.path("node_name").asText());
                Files.write(latest.resolve("meta_data.json"), Wire.JSON.writeValueAsBytes(meta));
                Files.write(latest.resolve("vendor_data2.json"), Wire.JSON.writeValueAsBytes(
                        Map.of("drawbridge", Map.of("v", 1, "payload", payload))));
                Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
                Files.deleteIfExists(tmp);
                Process p = new ProcessBuilder("/usr/bin/xorriso", "-as", "mkisofs", "-quiet", "-V", "config-2",
                        "-J", "-R", "-o", tmp.toString(), staging.toString()).redirectErrorStream(true).start();
                String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    p.destroyForcibly();
                    throw new CliException("xorriso failed: " + log.strip());
                }
                byte[] image = Files.readAllBytes(tmp);
                AtomicFiles.write(out, image);
                Files.deleteIfExists(tmp);
                return new Delivery(name(), out, image.length, "attach it to the node; drawbridge agent"
                        + " --bootstrap config-drive (found by its label config-2)");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted while making the config drive");
            } finally {
                try (var walk = Files.walk(staging)) {
                    for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        }
    }
}
