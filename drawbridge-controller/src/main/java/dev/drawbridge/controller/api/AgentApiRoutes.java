package dev.drawbridge.controller.api;

import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent-facing callback API ({@code /v1/agent/lookup}, {@code /v1/agent/heartbeat}). With
 * {@code agent-api.enabled: false} (the default) every call is refused with 403 and logged, so a node
 * that tries to reach the control plane is seen.
 */
final class AgentApiRoutes implements HttpService {
    private static final Logger LOG = LoggerFactory.getLogger(AgentApiRoutes.class);
    private final ApiContext ctx;

    AgentApiRoutes(ApiContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.any("/v1/agent/lookup", this::handle).any("/v1/agent/heartbeat", this::handle);
    }

    private void handle(ServerRequest req, ServerResponse res) {
        if (!ctx.config().agentApi().enabled()) {
            LOG.warn("refused agent callback {} {} from {}: agent-api.enabled is false", req.prologue().method().text(),
                    req.path().path(), req.remotePeer().host());
            throw new ApiException(403, "agent-api-disabled", "The agent callback API is switched off",
                    "this controller polls its agents; set agent-api.enabled to true to accept callback-mode nodes");
        }
        throw new ApiException(501, "not-implemented", "Callback mode is not available yet",
                "heartbeats from callback-mode agents are not accepted by this version; use poll mode");
    }
}
