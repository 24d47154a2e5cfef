package dev.drawbridge.agent;

import dev.drawbridge.protocol.AgentStatus;
import dev.drawbridge.protocol.BootstrapPayload;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.KeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Callback mode only: tells the controller the agent is alive and how to reach it, for networks where the
 * conductor cannot poll. It trusts only the payload root and, once enrolled, presents the node certificate.
 * Failures are logged and retried at the next interval; nothing else depends on them.
 */
final class Heartbeat implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Heartbeat.class);
    private final Thread thread;

    private Heartbeat(Thread thread) {
        this.thread = thread;
    }

    static Heartbeat start(BootstrapPayload payload, TlsIdentity tls, Duration interval, Supplier<AgentStatus> status) {
        URI target = URI.create(payload.controllerUrl().orElseThrow().replaceAll("/+$", "") + "/v1/agent/heartbeat");
        HttpClient http = HttpClient.newBuilder()
                .sslContext(TrustStores.client(List.of(tls.root()),
                        new KeyManager[] {new SwitchingKeyManager(tls::current)}))
                .connectTimeout(Duration.ofSeconds(10)).build();
        Thread t = Thread.ofVirtual().name("heartbeat").start(() -> loop(http, target, payload, interval, status));
        return new Heartbeat(t);
    }

    private static void loop(HttpClient http, URI target, BootstrapPayload payload, Duration interval,
                             Supplier<AgentStatus> status) {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("node_id", payload.nodeId());
                body.put("ticket_id", payload.ticketId());
                body.put("status", status.get());
                HttpResponse<String> res = http.send(HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(Wire.JSON.writeValueAsBytes(body))).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (res.statusCode() / 100 != 2) {
                    LOG.warn("heartbeat to {} answered HTTP {}", target, res.statusCode());
                }
            } catch (IOException e) {
                LOG.warn("heartbeat to {} failed: {}", target, e.toString());
            } catch (InterruptedException e) {
                return;
            }
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
