package dev.drawbridge.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;

/** A test's view of the agent API over real HTTPS: a fresh client, so no pooled connection outlives a TLS switch. */
final class AgentClient {
    private final HttpClient http;
    private final URI base;

    AgentClient(int port, SSLContext tls) {
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(tls)
                .connectTimeout(Duration.ofSeconds(5)).build();
        this.base = URI.create("https://localhost:" + port);
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET().build());
    }

    HttpResponse<String> post(String path, String contentType, String body) {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    HttpResponse<String> command(String name, Map<String, Object> params) {
        return post("/v1/commands", "application/json", TestPki.json(Map.of("name", name, "params", params)));
    }

    /** Submits a command and polls it until it is no longer RUNNING. */
    JsonNode run(String name, Map<String, Object> params) {
        HttpResponse<String> started = command(name, params);
        if (started.statusCode() != 202) {
            throw new AssertionError("command " + name + " answered " + started.statusCode() + ": " + started.body());
        }
        return await(tree(started).get("id").asText());
    }

    JsonNode await(String id) {
        Instant deadline = Instant.now().plusSeconds(20);
        while (Instant.now().isBefore(deadline)) {
            JsonNode s = tree(get("/v1/commands/" + id));
            if (!s.path("status").asText().equals("RUNNING")) {
                return s;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("command " + id + " still running after 20 s");
    }

    X509Certificate servedCertificate() {
        HttpResponse<String> res = get("/v1/status");
        try {
            return (X509Certificate) res.sslSession().orElseThrow().getPeerCertificates()[0];
        } catch (SSLPeerUnverifiedException e) {
            throw new AssertionError(e);
        }
    }

    static JsonNode tree(HttpResponse<String> res) {
        try {
            return Wire.JSON.readTree(res.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> send(HttpRequest req) {
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
