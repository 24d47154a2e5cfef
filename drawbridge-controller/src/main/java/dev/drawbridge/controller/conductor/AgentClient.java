package dev.drawbridge.controller.conductor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.protocol.TicketProof;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The conductor's HTTPS calls to agents. Before a node is enrolled the agent's key cannot be checked by
 * a CA, so {@code pinning} accepts any certificate and every reply carries the fingerprint seen, which
 * the caller compares with the pinned one. After enrollment {@code mutual} presents our controller
 * certificate and accepts only certificates from our CA.
 */
final class AgentClient {
    private final HttpClient pinning;
    private final HttpClient mutual;
    private final Duration timeout;

    Duration timeout() {
        return timeout;
    }

    AgentClient(SSLContext pinningContext, SSLContext mutualContext, Duration timeout) {
        // Virtual threads for the client's own work: thousands of polls in flight need no pool of platform threads.
        // Connections are kept alive between polls (the JDK's pool), so a poll is one request, not a TLS handshake.
        this.pinning = HttpClient.newBuilder().sslContext(pinningContext).version(HttpClient.Version.HTTP_1_1)
                .executor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor())
                .connectTimeout(timeout).build();
        this.mutual = HttpClient.newBuilder().sslContext(mutualContext).version(HttpClient.Version.HTTP_1_1)
                .executor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor())
                .connectTimeout(timeout).build();
        this.timeout = timeout;
    }

    /** One answer from an agent, with the certificate it served. */
    record Reply(int status, JsonNode body, String fingerprint, Optional<X509Certificate> peer) {
        boolean ok() {
            return status / 100 == 2;
        }
    }

    /** The agent could not be reached or did not answer in time. */
    static final class Unreachable extends Exception {
        Unreachable(String message) {
            super(message);
        }
    }

    Reply get(Node node, String path, boolean enrolled) throws Unreachable {
        return send(node, HttpRequest.newBuilder(uri(node, path)).GET(), enrolled);
    }

    Reply post(Node node, String path, Object body, boolean enrolled) throws Unreachable {
        return post(node, path, body, enrolled, Optional.empty());
    }

    /**
     * As {@link #post(Node, String, Object, boolean)}, asking the agent (RFC 7240 {@code Prefer: wait}) to answer
     * only once the command has finished or {@code wait} has passed, so a quick command costs one request.
     */
    Reply post(Node node, String path, Object body, boolean enrolled, Optional<Duration> wait) throws Unreachable {
        byte[] json;
        try {
            json = Wire.JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        HttpRequest.Builder req = HttpRequest.newBuilder(uri(node, path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json));
        wait.ifPresent(w -> req.header("Prefer", "wait=" + Math.max(1, w.toSeconds())));
        return send(node, req, enrolled);
    }

    private Reply send(Node node, HttpRequest.Builder req, boolean enrolled) throws Unreachable {
        HttpResponse<byte[]> res;
        try {
            res = (enrolled ? mutual : pinning).send(req.timeout(timeout).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new Unreachable("agent " + node.agentAddress().orElse("?") + " of " + node.name() + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreachable("interrupted");
        }
        Optional<X509Certificate> peer = res.sslSession().flatMap(AgentClient::leaf);
        String fp = peer.map(c -> HexFormat.of().formatHex(TicketProof.fingerprint(c))).orElse("");
        JsonNode body;
        try {
            body = res.body().length == 0 ? Wire.JSON.createObjectNode() : Wire.JSON.readTree(res.body());
        } catch (IOException e) {
            body = Wire.JSON.createObjectNode().put("detail", "agent answered something that is not JSON");
        }
        return new Reply(res.statusCode(), body, fp, peer);
    }

    private static Optional<X509Certificate> leaf(javax.net.ssl.SSLSession s) {
        try {
            return Optional.of((X509Certificate) s.getPeerCertificates()[0]);
        } catch (SSLPeerUnverifiedException | ClassCastException | ArrayIndexOutOfBoundsException e) {
            return Optional.empty();
        }
    }

    private static URI uri(Node node, String path) {
        return URI.create("https://" + node.agentAddress().orElseThrow() + path);
    }
}
