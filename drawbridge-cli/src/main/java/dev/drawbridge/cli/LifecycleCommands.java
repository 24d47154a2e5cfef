package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code drawbridge node manage|provide|deploy|undeploy|rescue|unrescue|payload NAME}: lifecycle actions the conductor carries out. */
final class LifecycleCommands {
    private LifecycleCommands() {}

    abstract static class Action implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "NAME") String name;

        abstract String action();

        void fill(ObjectNode body) {
        }

        @Override
        public Integer call() {
            ObjectNode body = ApiClient.JSON.createObjectNode().put("action", action());
            fill(body);
            JsonNode n = target.client().post(NodeCommand.path(name) + "/actions", body);
            if (target.json) {
                Out.json(n);
            } else {
                System.out.println(name + " is now " + n.path("state").asText() + "; follow it with: drawbridge node watch");
            }
            return 0;
        }
    }

    @Command(name = "manage", description = "Validate the node's hardware through its agent, then enroll it (-> manageable).")
    static final class Manage extends Action {
        String action() {
            return "manage";
        }
    }

    @Command(name = "provide", description = "Clean the node's devices (-> available).")
    static final class Provide extends Action {
        @Option(names = "--devices", description = "Comma-separated devices to clean (default: label root-device).") String devices;

        String action() {
            return "provide";
        }

        @Override
        void fill(ObjectNode body) {
            if (devices != null) {
                body.put("devices", devices);
            }
        }
    }

    @Command(name = "deploy", description = "Write an image, verify its sha256, and reboot (-> active).")
    static final class Deploy extends Action {
        @Option(names = "--image-url", required = true, description = "http(s) URL of the image.") String url;
        @Option(names = "--image-sha256", required = true, description = "Expected SHA-256 of the image (64 hex).") String sha;
        @Option(names = "--target", description = "Device or file to write (default: label root-device).") String targetDevice;

        String action() {
            return "deploy";
        }

        @Override
        void fill(ObjectNode body) {
            body.put("image_url", url).put("image_sha256", sha);
            if (targetDevice != null) {
                body.put("target", targetDevice);
            }
        }
    }

    @Command(name = "undeploy", description = "Clean an active node back to available.")
    static final class Undeploy extends Action {
        String action() {
            return "undeploy";
        }
    }

    @Command(name = "rescue", description = "Reboot the node into rescue.")
    static final class Rescue extends Action {
        String action() {
            return "rescue";
        }
    }

    @Command(name = "unrescue", description = "Bring a node out of rescue: clean its devices (-> available).")
    static final class Unrescue extends Action {
        @Option(names = "--devices", description = "Comma-separated devices to clean (default: label root-device).") String devices;

        String action() {
            return "unrescue";
        }

        @Override
        void fill(ObjectNode body) {
            if (devices != null) {
                body.put("devices", devices);
            }
        }
    }

    @Command(name = "payload", description = "A signed bootstrap payload for the node's agent (a new ticket):"
            + " printed, or packed for a channel with --channel and --out.")
    static final class Payload implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--channel", description = "Send it down a channel: file (the payload alone, 0600),"
                + " config-drive (an ISO 9660 image labelled config-2, OpenStack layout; needs xorriso) or"
                + " virtual-media (the controller serves the image once and the node's BMC inserts it over Redfish).")
        String channel;
        @Option(names = "--out", description = "Where the file channels write.") java.nio.file.Path out;

        @Override
        public Integer call() throws java.io.IOException {
            if (channel == null) {
                if (out != null) {
                    throw new CliException("--out needs --channel file or config-drive");
                }
                JsonNode p = target.client().post(NodeCommand.path(name) + "/payload", ApiClient.JSON
                        .createObjectNode().put("mode", "poll"));
                if (target.json) {
                    Out.json(p);
                } else {
                    System.out.println(p.path("payload").asText());
                }
                return 0;
            }
            BootstrapChannel.Delivery d = BootstrapChannel.named(channel, out).deliver(target.client(), name);
            if (target.json) {
                Out.json(ApiClient.JSON.createObjectNode().put("channel", d.channel())
                        .put("artifact", d.artifact()).put("bytes", d.bytes())
                        .put("agent", d.agentReadsIt()));
            } else {
                // The one-time URL is a credential until the BMC fetched it: --json shows it whole, the line does not.
                String where = d.artifact().replaceAll("/v1/media/[A-Za-z0-9_-]+$", "/v1/media/(one-time token)");
                System.out.println("sent " + name + "'s payload by " + d.channel() + " to " + where + " ("
                        + d.bytes() + " bytes): " + d.agentReadsIt());
            }
            return 0;
        }
    }
}
