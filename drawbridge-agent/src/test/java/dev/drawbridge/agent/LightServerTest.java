package dev.drawbridge.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.protocol.HardwareInfo;
import dev.drawbridge.protocol.TicketProof;
import dev.drawbridge.protocol.Wire;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A simulated agent's light listener: the same API over HTTPS, keep-alive, strict parsing, and faults on command. */
class LightServerTest {
    @TempDir
    Path tmp;
    TestPki pki;
    Agent agent;
    Faults faults;
    AgentClient client;

    @BeforeEach
    void start() throws Exception {
        pki = new TestPki(tmp);
        HardwareInfo hw = new HardwareInfo(List.of(new HardwareInfo.Nic("eth0", "52:54:00:aa:bb:01")), "uuid-l",
                "SERL", 2, 4L << 30, List.of(new HardwareInfo.Disk("vda", 64L << 20)));
        Path profile = pki.write("hw.json", Wire.JSON.writeValueAsString(hw));
        faults = new Faults();
        agent = Agent.startSimulated(AgentConfig.of(tmp.resolve("data"), pki.payloadFile(pki.payloadFields("sim-1")))
                .withListen("127.0.0.1:0").withHardwareProfile(profile).withTpm("software"), faults);
        client = new AgentClient(agent.port(), pki.client(Optional.of(Profile.CONTROLLER)));
    }

    @AfterEach
    void stop() {
        agent.close();
    }

    @Test
    @DisplayName("serves the same status and commands as the Helidon agent")
    void sameApi() {
        JsonNode status = AgentClient.tree(client.get("/v1/status"));
        assertThat(status.path("node_name").asText()).isEqualTo("sim-1");
        assertThat(status.path("tls_fingerprint").asText())
                .isEqualTo(TicketProof.fingerprintHex(client.servedCertificate()));
        JsonNode done = client.run("hardware.get_info", Map.of());
        assertThat(done.at("/result/interfaces/0/mac").asText()).isEqualTo("52:54:00:aa:bb:01");
        HttpResponse<String> missing = client.get("/v1/commands/nope");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(client.post("/v1/commands", "application/json", "{not json").statusCode()).isEqualTo(400);
        assertThat(client.post("/v1/commands", "text/plain", "{}").statusCode()).isEqualTo(415);
    }

    @Test
    @DisplayName("Prefer: wait answers a quick command finished, 201 with its result, in one request")
    void preferWait() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/commands")).header("Prefer", "wait=5")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"name\":\"attestation.quote\",\"params\":{\"nonce\":\"AAECAwQFBgcICQoLDA0ODw\",\"pcrs\":\"sha256:0,7\"}}")),
                Duration.ofSeconds(10));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode s = Wire.JSON.readTree(r.body());
        assertThat(s.path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(s.at("/result/attest").asText()).isNotEmpty();
        assertThat(r.headers().firstValue("Location")).hasValue("/v1/commands/" + s.path("id").asText());
    }

    @Test
    @DisplayName("keeps the connection open across requests and rejects malformed ones with problem+json")
    void keepAliveAndStrictParsing() throws Exception {
        try (SSLSocket s = socket()) {
            OutputStream out = s.getOutputStream();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            for (int i = 0; i < 3; i++) {
                out.write("GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertThat(readResponse(in).getFirst()).isEqualTo("HTTP/1.1 200 OK");
            }
        }
        assertThat(raw("NOT A REQUEST LINE\r\n\r\n").getFirst()).startsWith("HTTP/1.1 400");
        assertThat(raw("POST /v1/commands HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").getFirst())
                .startsWith("HTTP/1.1 411");
        List<String> tooBig = raw("POST /v1/commands HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: "
                + (Agent.MAX_BODY_BYTES + 1) + "\r\n\r\n");
        assertThat(tooBig.getFirst()).startsWith("HTTP/1.1 413");
        assertThat(tooBig).contains("Content-Type: application/problem+json", "Connection: close");
    }

    @Test
    @DisplayName("silenced, it holds requests unanswered until told to answer; slowed, it answers late")
    void faultsOnCommand() throws Exception {
        faults.silence(true);
        assertThatThrownBy(() -> send(HttpRequest.newBuilder(uri("/v1/status")).GET(), Duration.ofMillis(800)))
                .isInstanceOf(HttpTimeoutException.class);
        faults.silence(false);
        assertThat(send(HttpRequest.newBuilder(uri("/v1/status")).GET(), Duration.ofSeconds(5)).statusCode())
                .isEqualTo(200);
        faults.delay(400);
        assertThat(faults.describe()).isEqualTo("slow 400 ms");
        long t0 = System.nanoTime();
        assertThat(send(HttpRequest.newBuilder(uri("/v1/status")).GET(), Duration.ofSeconds(5)).statusCode())
                .isEqualTo(200);
        assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(400);
    }

    private URI uri(String path) {
        return URI.create("https://127.0.0.1:" + agent.port() + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder req, Duration timeout) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(pki.client(Optional.of(Profile.CONTROLLER))).build();
        return http.send(req.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
    }

    private SSLSocket socket() throws IOException {
        SSLSocket s = (SSLSocket) pki.client(Optional.of(Profile.CONTROLLER)).getSocketFactory().createSocket("127.0.0.1", agent.port());
        s.setSoTimeout(5000);
        return s;
    }

    private List<String> raw(String request) throws IOException {
        try (SSLSocket s = socket()) {
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            return readResponse(new BufferedReader(new InputStreamReader(s.getInputStream(),
                    StandardCharsets.ISO_8859_1)));
        }
    }

    /** The status line and headers of one response; its body is read and dropped. */
    private static List<String> readResponse(BufferedReader in) throws IOException {
        List<String> head = new ArrayList<>();
        String line;
        int length = 0;
        while ((line = in.readLine()) != null && !line.isEmpty()) {
            head.add(line);
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        in.skip(length); // ISO-8859-1: one char per byte
        return head;
    }
}
