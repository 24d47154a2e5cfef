package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.media.ConfigDrive;
import dev.drawbridge.pki.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * One way a signed bootstrap payload reaches a node ({@code drawbridge node payload NAME --channel ...}). Each
 * channel carries the same payload (a new one-time ticket each time); the agent checks it the same way whichever
 * channel brought it. The serial channel is interactive and has its own verb, {@code drawbridge serial-enroll}.
 */
interface BootstrapChannel {
    /**
     * What a channel did: where the payload went (a file, or the one-time URL a BMC fetched it from), its size, and
     * how the node's agent reads it.
     */
    record Delivery(String channel, String artifact, long bytes, String agentReadsIt) {}

    String name();

    /** Makes a payload for {@code node} at the controller and sends it down this channel. */
    Delivery deliver(ApiClient api, String node) throws IOException;

    /** The channels by name; {@code out} is where the file channels write (null for virtual media). */
    static BootstrapChannel named(String name, Path out) {
        BootstrapChannel channel = switch (name) {
            case "file" -> new FileChannel(out);
            case "config-drive" -> new ConfigDriveChannel(out);
            case "virtual-media" -> new VirtualMediaChannel();
            case "serial" -> throw new CliException("the serial channel is interactive: run 'drawbridge"
                    + " serial-enroll NAME --device /dev/ttyS1' with the node's agent on --bootstrap serial:DEVICE");
            default -> throw new CliException("--channel must be file, config-drive, virtual-media or serial, not '"
                    + name + "'");
        };
        if (out == null && !(channel instanceof VirtualMediaChannel)) {
            throw new CliException("--channel " + name + " needs --out FILE");
        }
        if (out != null && channel instanceof VirtualMediaChannel) {
            throw new CliException("--channel virtual-media writes no file: the controller serves the image to the"
                    + " node's BMC; drop --out");
        }
        return channel;
    }

    /** A fresh poll-mode payload (a compact JWS) for {@code node}. */
    static String payload(ApiClient api, String node) {
        return api.post(NodeCommand.path(node) + "/payload", Map.of("mode", "poll")).path("payload").asText();
    }

    /** The payload as a file (0600), for an operator's hand or any tool that copies files. */
    record FileChannel(Path out) implements BootstrapChannel {
        @Override
        public String name() {
            return "file";
        }

        @Override
        public Delivery deliver(ApiClient api, String node) throws IOException {
            return write(payload(api, node));
        }

        Delivery write(String payload) throws IOException {
            byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(out, bytes);
            return new Delivery(name(), out.toString(), bytes.length, "drawbridge agent --bootstrap file:" + out);
        }
    }

    /**
     * A config drive ({@link ConfigDrive}: ISO 9660, label {@code config-2}, OpenStack layout, made with xorriso).
     * Attach it as a CD or a disk; the agent finds it by label.
     */
    record ConfigDriveChannel(Path out) implements BootstrapChannel {
        @Override
        public String name() {
            return "config-drive";
        }

        @Override
        public Delivery deliver(ApiClient api, String node) throws IOException {
            return write(payload(api, node));
        }

        Delivery write(String payload) throws IOException {
            byte[] image;
            try {
                image = ConfigDrive.image(payload);
            } catch (IllegalStateException | IllegalArgumentException e) {
                throw new CliException(e.getMessage());
            }
            AtomicFiles.write(out, image);
            return new Delivery(name(), out.toString(), image.length, "attach it to the node; drawbridge agent"
                    + " --bootstrap config-drive (found by its label " + ConfigDrive.LABEL + ")");
        }
    }

    /**
     * Redfish virtual media: the controller makes the payload and the config drive, serves the image at a one-time
     * URL that expires, and has the node's BMC insert it ({@code VirtualMedia.InsertMedia}); it ejects the image
     * once the node has enrolled. See {@code POST /v1/nodes/{id}/virtual-media}.
     */
    record VirtualMediaChannel() implements BootstrapChannel {
        @Override
        public String name() {
            return "virtual-media";
        }

        @Override
        public Delivery deliver(ApiClient api, String node) {
            JsonNode m = api.post(NodeCommand.path(node) + "/virtual-media", Map.of());
            return new Delivery(name(), m.path("url").asText(), m.path("bytes").asLong(), "the BMC at "
                    + m.path("bmc").asText() + " has the image inserted until " + m.path("expires_at").asText()
                    + " (one fetch); boot the node from its virtual CD with drawbridge agent --bootstrap"
                    + " config-drive; the controller ejects it after enrollment");
        }
    }
}
