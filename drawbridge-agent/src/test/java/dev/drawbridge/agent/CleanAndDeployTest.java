package dev.drawbridge.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.protocol.HardwareInfo;
import dev.drawbridge.protocol.Wire;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CleanAndDeployTest {
    static final int MIB = 1024 * 1024;
    @TempDir
    Path tmp;
    Agent agent;
    AgentClient client;
    HttpServer images;
    byte[] image;

    @BeforeEach
    void start() throws Exception {
        TestPki pki = new TestPki(tmp);
        HardwareInfo hw = new HardwareInfo(List.of(new HardwareInfo.Nic("eth0", "52:54:00:12:34:56")), "uuid-1",
                "SER1", 4, 8L << 30, List.of(
                        new HardwareInfo.Disk("vda", 4 * MIB, tmp.resolve("disk.raw").toString(), false),
                        new HardwareInfo.Disk("vdb", 5, tmp.resolve("small.raw").toString(), false),
                        new HardwareInfo.Disk("vdc", 4 * MIB, tmp.resolve("root.raw").toString(), true)));
        Path profile = pki.write("hw.json", Wire.JSON.writeValueAsString(hw));
        agent = Agent.start(AgentConfig.of(tmp.resolve("data"), pki.payloadFile(pki.payloadFields("n1")))
                .withListen("127.0.0.1:0").withHardwareProfile(profile));
        client = new AgentClient(agent.port(), pki.client(Optional.of(Profile.CONTROLLER)));
        image = new byte[3 * MIB + 123];
        new Random(7).nextBytes(image);
        images = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        images.createContext("/good.img", ex -> {
            ex.sendResponseHeaders(200, image.length);
            ex.getResponseBody().write(image);
            ex.close();
        });
        images.createContext("/corrupt.img", ex -> {
            byte[] bad = image.clone();
            bad[MIB + 5] ^= 1;
            ex.sendResponseHeaders(200, bad.length);
            ex.getResponseBody().write(bad);
            ex.close();
        });
        images.start();
    }

    @AfterEach
    void stop() {
        images.stop(0);
        agent.close();
    }

    @Test
    void eraseZeroesTheFirstAndLastMebibyteOfAFile() throws Exception {
        Path disk = tmp.resolve("disk.raw");
        byte[] data = new byte[4 * MIB];
        Arrays.fill(data, (byte) 0x5a);
        Files.write(disk, data);
        JsonNode done = client.run("clean.erase_devices", Map.of("devices", List.of(disk.toString())));
        assertThat(done.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(done.at("/result/erased/0/erased_bytes").asLong()).isEqualTo(2L * MIB);
        byte[] after = Files.readAllBytes(disk);
        assertThat(after).hasSize(4 * MIB);
        assertThat(Arrays.copyOfRange(after, 0, MIB)).containsOnly(0);
        assertThat(Arrays.copyOfRange(after, 3 * MIB, 4 * MIB)).containsOnly(0);
        assertThat(Arrays.copyOfRange(after, MIB, 3 * MIB)).containsOnly(0x5a);
    }

    @Test
    void eraseZeroesAllOfAFileSmallerThanAMebibyte() throws Exception {
        Path disk = tmp.resolve("small.raw");
        Files.write(disk, new byte[] {1, 2, 3, 4, 5});
        assertThat(client.run("clean.erase_devices", Map.of("devices", List.of(disk.toString())))
                .get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(Files.readAllBytes(disk)).containsExactly(0, 0, 0, 0, 0);
    }

    @Test
    void eraseRefusesAFileTheAgentDidNotReportAndChangesNothing() throws Exception {
        Path other = tmp.resolve("some-file");
        byte[] data = new byte[2 * MIB];
        Arrays.fill(data, (byte) 0x5a);
        Files.write(other, data);
        Files.write(tmp.resolve("disk.raw"), data);
        JsonNode done = client.run("clean.erase_devices",
                Map.of("devices", List.of(tmp.resolve("disk.raw").toString(), other.toString())));
        assertThat(done.get("status").asText()).isEqualTo("FAILED");
        assertThat(done.get("error").asText()).contains("refusing to erase " + other).contains("not a disk this agent reports");
        assertThat(Files.readAllBytes(other)).containsOnly(0x5a);
        assertThat(Files.readAllBytes(tmp.resolve("disk.raw"))).as("nothing is erased unless every device passes")
                .containsOnly(0x5a);
    }

    @Test
    void eraseRefusesTheDiskTheRunningRootFileSystemIsOn() throws Exception {
        Path root = tmp.resolve("root.raw");
        byte[] data = new byte[2 * MIB];
        Arrays.fill(data, (byte) 0x5a);
        Files.write(root, data);
        Files.createSymbolicLink(tmp.resolve("alias"), root);
        JsonNode done = client.run("clean.erase_devices", Map.of("devices", List.of(tmp.resolve("alias").toString())));
        assertThat(done.get("status").asText()).isEqualTo("FAILED");
        assertThat(done.get("error").asText()).contains("root file system is on vdc");
        assertThat(Files.readAllBytes(root)).containsOnly(0x5a);
    }

    @Test
    void anImageThatCannotBeFetchedNamesTheCause() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        JsonNode refused = client.run("deploy.write_image", Map.of("url", "http://127.0.0.1:" + closed + "/os.img",
                "sha256", "ab".repeat(32), "target", tmp.resolve("t.raw").toString()));
        assertThat(refused.get("status").asText()).isEqualTo("FAILED");
        assertThat(refused.get("error").asText()).contains("cannot fetch http://127.0.0.1:" + closed)
                .contains("connection refused").doesNotContain("null");
        JsonNode missing = client.run("deploy.write_image", Map.of("url", url("/missing.img"),
                "sha256", "ab".repeat(32), "target", tmp.resolve("t.raw").toString()));
        assertThat(missing.get("error").asText()).contains("HTTP 404");
    }

    @Test
    void writeImageStreamsVerifiesAndRecordsTheDeployment() throws Exception {
        Path target = tmp.resolve("target.raw");
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(image));
        JsonNode done = client.run("deploy.write_image", Map.of("url", url("/good.img"), "sha256", sha,
                "target", target.toString()));
        assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
        assertThat(done.at("/progress/done").asLong()).isEqualTo(image.length);
        assertThat(done.at("/progress/total").asLong()).isEqualTo(image.length);
        assertThat(Files.readAllBytes(target)).isEqualTo(image);
        JsonNode state = Wire.JSON.readTree(tmp.resolve("data/deploy-state.json").toFile());
        assertThat(state.get("deployed").asBoolean()).isTrue();
        assertThat(state.get("sha256").asText()).isEqualTo(sha);
        assertThat(state.get("url").asText()).isEqualTo(url("/good.img"));
    }

    @Test
    void aCorruptedImageFailsWithAChecksumMismatchAndIsNotDeployed() throws Exception {
        Path target = tmp.resolve("target.raw");
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(image));
        JsonNode done = client.run("deploy.write_image", Map.of("url", url("/corrupt.img"), "sha256", sha,
                "target", target.toString()));
        assertThat(done.get("status").asText()).isEqualTo("FAILED");
        assertThat(done.get("error").asText()).startsWith("checksum mismatch: expected " + sha + ", got ");
        assertThat(Arrays.copyOfRange(Files.readAllBytes(target), 0, MIB)).containsOnly(0);
        JsonNode state = Wire.JSON.readTree(tmp.resolve("data/deploy-state.json").toFile());
        assertThat(state.get("deployed").asBoolean()).isFalse();
        assertThat(state.get("reason").asText()).startsWith("checksum mismatch");
        assertThat(client.run("system.status", Map.of()).at("/result/deploy/deployed").asBoolean()).isFalse();
    }

    private String url(String path) {
        return "http://127.0.0.1:" + images.getAddress().getPort() + path;
    }
}
