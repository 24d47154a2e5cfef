package dev.drawbridge.controller.media;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.pki.Jws;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A config drive: an ISO 9660 image in the OpenStack config-drive layout (volume label {@code config-2}), made with
 * Debian's {@code xorriso}. {@code openstack/latest/meta_data.json} names the node, and {@code vendor_data2.json}
 * holds the signed payload under {@code drawbridge}. The CLI writes one to a file; the virtual-media channel serves
 * one to a BMC. The agent finds it by its label and checks the payload as it would from any channel.
 */
public final class ConfigDrive {
    public static final String LABEL = "config-2";
    static final Path XORRISO = Path.of("/usr/bin/xorriso");

    private ConfigDrive() {}

    /** The image for {@code payload} (a compact JWS); an IllegalStateException says what to install or what failed. */
    public static byte[] image(String payload) throws IOException {
        if (!Files.isExecutable(XORRISO)) {
            throw new IllegalStateException("xorriso is missing: install the Debian package 'xorriso' to make config"
                    + " drives");
        }
        JsonNode claims = Wire.JSON.readTree(Jws.unverifiedPayload(payload).orElseThrow(() ->
                new IllegalArgumentException("the payload is not a compact JWS")));
        Path staging = Files.createTempDirectory("drawbridge-config-drive");
        try {
            Path latest = Files.createDirectories(staging.resolve("tree/openstack/latest"));
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("uuid", claims.path("node_id").asText());
            meta.put("name", claims.path("node_name").asText());
            meta.put("hostname", claims.path("node_name").asText());
            Files.write(latest.resolve("meta_data.json"), Wire.JSON.writeValueAsBytes(meta));
            Files.write(latest.resolve("vendor_data2.json"), Wire.JSON.writeValueAsBytes(
                    Map.of("drawbridge", Map.of("v", 1, "payload", payload))));
            Path iso = staging.resolve("config-2.iso");
            Process p = new ProcessBuilder(XORRISO.toString(), "-as", "mkisofs", "-quiet", "-V", LABEL,
                    "-J", "-R", "-o", iso.toString(), staging.resolve("tree").toString())
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("xorriso failed: " + log.strip());
            }
            return Files.readAllBytes(iso);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making the config drive");
        } finally {
            try (var walk = Files.walk(staging)) {
                for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }
}
