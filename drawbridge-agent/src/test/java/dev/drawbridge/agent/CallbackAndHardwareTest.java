package dev.drawbridge.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.IssuedCertificate;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.protocol.HardwareInfo;
import dev.drawbridge.protocol.Wire;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CallbackAndHardwareTest {
    @TempDir
    Path tmp;

    @Test
    void aCallbackAgentHeartbeatsToTheControllerItTrusts() throws Exception {
        TestPki pki = new TestPki(tmp);
        BlockingQueue<JsonNode> beats = new LinkedBlockingQueue<>();
        HttpsServer controller = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        controller.setHttpsConfigurator(new HttpsConfigurator(controllerTls(pki)));
        controller.createContext("/v1/agent/heartbeat", ex -> {
            beats.add(Wire.JSON.readTree(ex.getRequestBody()));
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        controller.start();
        Map<String, Object> fields = pki.payloadFields("n1");
        fields.put("mode", "callback");
        fields.put("controller_url", "https://localhost:" + controller.getAddress().getPort());
        try (Agent agent = Agent.start(AgentConfig.of(tmp.resolve("data"), pki.payloadFile(fields))
                .withListen("127.0.0.1:0").withHeartbeatInterval(Duration.ofMillis(100)))) {
            JsonNode beat = beats.poll(10, TimeUnit.SECONDS);
            assertThat(beat).as("a heartbeat within 10 s").isNotNull();
            assertThat(beat.get("node_id").asText()).isEqualTo("node-n1");
            assertThat(beat.at("/status/identity").asText()).isEqualTo("fresh");
            assertThat(beat.at("/status/mode").asText()).isEqualTo("callback");
            assertThat(beat.toString()).doesNotContain(TestPki.TICKET);
        } finally {
            controller.stop(0);
        }
    }

    @Test
    void hardwareIsReadFromSysfsSkippingLoopbackZeroMacsAndVirtualDisks() throws Exception {
        Path sys = tmp.resolve("sys");
        write(sys.resolve("class/net/lo/address"), "00:00:00:00:00:00\n");
        write(sys.resolve("class/net/eth0/address"), "52:54:00:AB:CD:EF\n");
        write(sys.resolve("class/net/dummy0/address"), "00:00:00:00:00:00\n");
        write(sys.resolve("class/dmi/id/product_uuid"), "4c4c4544-0000\n");
        write(sys.resolve("block/sda/size"), "2048\n");
        write(sys.resolve("block/loop0/size"), "100\n");
        write(sys.resolve("block/zram0/size"), "100\n");
        write(tmp.resolve("proc/meminfo"), "MemTotal:       16318156 kB\nMemFree: 1 kB\n");
        HardwareInfo info = Hardware.under(sys, tmp.resolve("proc")).read();
        assertThat(info.interfaces()).containsExactly(new HardwareInfo.Nic("eth0", "52:54:00:ab:cd:ef"));
        assertThat(info.systemUuid()).isEqualTo("4c4c4544-0000");
        assertThat(info.serial()).isEqualTo("unknown");
        assertThat(info.disks()).containsExactly(new HardwareInfo.Disk("sda", 2048L * 512));
        assertThat(info.memoryBytes()).isEqualTo(16318156L * 1024);
        assertThat(info.cpus()).isPositive();
    }

    private static void write(Path file, String text) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private static SSLContext controllerTls(TestPki pki) throws Exception {
        KeyPair kp = Keys.generate();
        IssuedCertificate cert = pki.ca.issue(new IssueRequest(Profile.CONTROLLER, "controller", List.of("localhost"),
                List.of(), kp.getPublic()));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("c", kp.getPrivate(), new char[0], new Certificate[] {cert.certificate(), pki.ca.root()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }
}
