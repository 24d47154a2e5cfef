package dev.drawbridge.controller.conductor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.protocol.TicketProof;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The conductor's HTTPS calls to agents. Before a node is enrolled the agent's key cannot be checked by
 * a CA, so {@code pinning} accepts any certificate and every reply carries the fingerprint seen, which
 * the caller compares with the pinned one. After enrollment {@code mutual} presents our controller
 * certificate and accepts only certificates from our CA.
 */
final class AgentClient implements AgentLink {
    private final AgentConnections pinning;
    private final AgentConnections mutual;
    private final Duration timeout;

    @Override
    public Duration timeout() {
        return timeout;
    }

    AgentClient(SSLContext pinningContext, SSLContext mutualContext, Duration timeout) {
        // Connections are kept alive between polls, so a poll is one request, not a TLS handshake.
        this.pinning = new AgentConnections(pinningContext, timeout);
        this.mutual = new AgentConnections(mutualContext, timeout);
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

    @Override
    public Reply get(Node node, String path, boolean enrolled) throws Unreachable {
        return send(node, "GET", path, Map.of(), new byte[0], enrolled);
    }

    /**
     * A POST, asking the agent (RFC 7240 {@code Prefer: wait}) to answer
     * only once the command has finished or {@code wait} has passed, so a quick command costs one request.
     */
    @Override
    public Reply post(Node node, String path, Object body, boolean enrolled, Duration wait) throws Unreachable {
        return send(node, "POST", path, Map.of("Content-Type", "application/json", "Prefer",
                "wait=" + Math.max(1, wait.toSeconds())), json(body), enrolled);
    }

    @Override
    public Reply post(Node node, String path, Object body, boolean enrolled) throws Unreachable {
        return send(node, "POST", path, Map.of("Content-Type", "application/json"), json(body), enrolled);
    }

    private static byte[] json(Object body) {
        try {
            return Wire.JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The claim epoch this thread's poll runs under, sent as Drawbridge-Epoch; none when clustering is off. */
    private static final ThreadLocal<Long> EPOCH = new ThreadLocal<>();

    /** Runs a poll whose every request carries {@code epoch} (if present), so the agent refuses a stale controller. */
    static void underEpoch(java.util.OptionalLong epoch, Runnable poll) {
        if (epoch.isEmpty()) {
            poll.run();
            return;
        }
        EPOCH.set(epoch.getAsLong());
        try {
            poll.run();
        } finally {
            EPOCH.remove();
        }
    }

    private Reply send(Node node, String method, String path, Map<String, String> given, byte[] body,
                       boolean enrolled) throws Unreachable {
        String address = node.agentAddress().orElseThrow();
        Long epoch = EPOCH.get();
        Map<String, String> headers = given;
        if (epoch != null) {
            headers = new java.util.HashMap<>(given);
            headers.put("Drawbridge-Epoch", Long.toString(epoch));
        }
        AgentConnections.Answer res;
        try {
            res = (enrolled ? mutual : pinning).exchange(address, method, path, headers, body);
        } catch (IOException e) {
            throw new Unreachable("agent " + address + " of " + node.name() + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
        Optional<X509Certificate> peer = leaf(res.session());
        String fp = peer.map(c -> HexFormat.of().formatHex(TicketProof.fingerprint(c))).orElse("");
        JsonNode json;
        try {
            json = res.body().length == 0 ? Wire.JSON.createObjectNode() : Wire.JSON.readTree(res.body());
        } catch (IOException e) {
            json = Wire.JSON.createObjectNode().put("detail", "agent answered something that is not JSON");
        }
        return new Reply(res.status(), json, fp, peer);
    }

    /**
     * Forgets the kept connections to a node's agent, so the next request handshakes again: after its certificate
     * was renewed or revoked, no answer may come over a session of the old one.
     */
    @Override
    public void drop(Node node) {
        node.agentAddress().ifPresent(a -> {
            pinning.drop(a);
            mutual.drop(a);
        });
    }

    @Override
    public void close() {
        pinning.close();
        mutual.close();
    }

    private static Optional<X509Certificate> leaf(SSLSession s) {
        try {
            return Optional.of((X509Certificate) s.getPeerCertificates()[0]);
        } catch (SSLPeerUnverifiedException | ClassCastException | ArrayIndexOutOfBoundsException e) {
            return Optional.empty();
        }
    }
}
