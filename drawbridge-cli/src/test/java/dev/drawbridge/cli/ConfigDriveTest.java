package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.agent.AgentException;
import dev.drawbridge.agent.BootstrapSource;
import dev.drawbridge.pki.Jws;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.protocol.Wire;
import dev.drawbridge.testkit.NetNs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config-drive channel end to end: {@code node payload --channel config-drive} makes an ISO with xorriso,
 * isoinfo (a reader nobody here wrote) reads its label and payload back and the payload verifies with the CA, and
 * an agent bootstrapped from the image enrolls; an image that is not a config drive is refused with the reason.
 */
class ConfigDriveTest {
    @TempDir Path dir;

    @Test
    @DisplayName("node payload --channel config-drive -> isoinfo reads it back -> the agent bootstraps from it and"
            + " enrolls")
    void configDrive() throws Exception {
        NetNs.require("xorriso", "xorriso");
        NetNs.require("isoinfo", "genisoimage");
        try (Fleet fleet = new Fleet(dir)) {
            String mac = "52:54:00:cd:00:01";
            fleet.api.post("/v1/nodes", Map.of("name", "cd-1", "macs", List.of(mac)));
            Path iso = dir.resolve("cd-1.iso");
            int code = Main.run("node", "payload", "cd-1", "--channel", "config-drive", "--out", iso.toString(),
                    "--data-dir", fleet.controller.dataDir().root().toString());
            assertThat(code).isZero();

            String info = run("isoinfo", "-d", "-i", iso.toString());
            assertThat(info).contains("Volume id: config-2");
            JsonNode meta = Wire.JSON.readTree(run("isoinfo", "-R", "-i", iso.toString(), "-x",
                    "/openstack/latest/meta_data.json"));
            assertThat(meta.path("name").asText()).isEqualTo("cd-1");
            String payload = Wire.JSON.readTree(run("isoinfo", "-R", "-i", iso.toString(), "-x",
                    BootstrapSource.VENDOR_DATA)).path("drawbridge").path("payload").asText();
            assertThat(Jws.verify(payload, Pem.certificate(Files.readString(fleet.controller.dataDir().root()
                    .resolve("ca.pem"))))).as("the payload verifies with the controller's CA").isPresent();
            System.out.println("config drive: " + Files.size(iso) + " bytes, payload " + payload.length() + " bytes");

            Path agentData = dir.resolve("cd-1").resolve("agent-data");
            Path fetched = BootstrapSource.fetch("config-drive:" + iso, agentData);
            assertThat(Files.readString(fetched)).isEqualTo(payload);
            SimulatedNode node = SimulatedNode.start(dir.resolve("cd-1"), "127.0.0.1", Files.readString(fetched),
                    SimulatedNode.profile(mac));
            fleet.nodes.add(node);
            fleet.api.patch(NodeCommand.path("cd-1"), Map.of("agent_address", node.address(), "labels",
                    Map.of("root-device", node.disk().toString())));
            fleet.act("cd-1", Map.of("action", "manage"));
            assertThat(fleet.awaitState("cd-1", "manageable").path("state").asText()).isEqualTo("manageable");
            assertThat(node.agent().status().identity()).isEqualTo("enrolled");

            // The drive ejected: the agent uses the payload it kept.
            Files.delete(iso);
            assertThat(BootstrapSource.fetch("config-drive:" + iso, agentData)).isEqualTo(fetched);

            // An image with another label is no config drive.
            Path stray = Files.createDirectories(dir.resolve("stray"));
            Files.writeString(stray.resolve("x.txt"), "x");
            Path other = dir.resolve("other.iso");
            run("xorriso", "-as", "mkisofs", "-quiet", "-V", "NOT-CONFIG", "-o", other.toString(), stray.toString());
            assertThatThrownBy(() -> BootstrapSource.fetch("config-drive:" + other, dir.resolve("fresh")))
                    .isInstanceOf(AgentException.class).hasMessageContaining("is not a config drive")
                    .hasMessageContaining("NOT-CONFIG");
        }
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd)).isZero();
        return out;
    }
}
