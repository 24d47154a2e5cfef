package dev.drawbridge.controller.api;

import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.pki.Profile;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent-facing callback API ({@code /v1/agent/lookup}, {@code /v1/agent/heartbeat}). With
 * {@code agent-api.enabled: false} (the default) every call is refused with 403 and logged, so a node
 * that tries to reach the control plane is seen. When enabled, only callback-mode nodes holding an
 * unrevoked node certificate (mTLS) may call: a heartbeat records that the node was seen.
 */
final class AgentApiRoutes implements HttpService {
    private static final Logger LOG = LoggerFactory.getLogger(AgentApiRoutes.class);
    private final ApiContext ctx;
    private final Access access;

    AgentApiRoutes(ApiContext ctx, Access access) {
        this.ctx = ctx;
        this.access = access;
    }

    @Override
    public void routing(HttpRules rules) {
        String why = "a callback-mode agent's node certificate authenticates it (403 when agent-api is off)";
        access.on(rules).openAny("/v1/agent/lookup", why, this::handle).openAny("/v1/agent/heartbeat", why,
                this::handle);
    }

    private void handle(ServerRequest req, ServerResponse res) {
        if (!ctx.config().agentApi().enabled()) {
            LOG.warn("refused agent callback {} {} from {}: agent-api.enabled is false", req.prologue().method().text(),
                    req.path().path(), req.remotePeer().host());
            throw new ApiException(403, "agent-api-disabled", "The agent callback API is switched off",
                    "this controller polls its agents; set agent-api.enabled to true to accept callback-mode nodes");
        }
        Node node = caller(req);
        if (req.path().path().endsWith("/heartbeat")) {
            ctx.inventory().heartbeat(node.id());
        }
        Json.send(res, 200, Json.object().put("node_id", node.id()).put("node_name", node.name())
                .put("state", node.state().wire()));
    }

    /**
     * The calling node, proven by its client certificate: issued by our CA under the node profile, for a node
     * in callback mode. Anything else is refused; a ticket never authenticates a callback.
     */
    private Node caller(ServerRequest req) {
        X509Certificate cert = req.remotePeer().tlsCertificates().filter(c -> c.length > 0 && c[0] instanceof X509Certificate)
                .map(c -> (X509Certificate) c[0]).orElseThrow(() -> new ApiException(401, "client-certificate-required",
                        "Client certificate required", "callback-mode agents authenticate with their node certificate"));
        // The listener lets any current certificate through the handshake: this route needs one from our CA.
        try {
            cert.verify(ctx.ca().root().getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new ApiException(403, "not-our-certificate", "Not issued by this controller",
                    "callbacks need a node certificate issued by this controller's CA");
        }
        if (Profile.of(cert).filter(p -> p == Profile.NODE).isEmpty()) {
            throw new ApiException(403, "not-a-node", "Not a node certificate", "only node certificates may call here");
        }
        String name = cert.getSubjectX500Principal().getName().replaceFirst("^CN=", "");
        Node node = ctx.inventory().find(name).filter(n -> n.name().equals(name))
                .orElseThrow(() -> new ApiException(403, "unknown-node", "Unknown node", "no node named by this certificate"));
        if (!ctx.certificates().current(cert.getSerialNumber().toString(16))) {
            throw new ApiException(403, "certificate-revoked", "Certificate revoked", "this certificate is revoked or unknown");
        }
        if (!node.mode().equals("callback")) {
            LOG.warn("refused agent callback from poll-mode node {}", node.name());
            throw new ApiException(403, "poll-mode-node", "This node is in poll mode",
                    "poll-mode nodes are polled by the conductor and may not call the controller");
        }
        return node;
    }
}
