package dev.drawbridge.controller.config;

/**
 * The agent-facing callback API ({@code /v1/agent/...}) for callback-mode nodes. Off by default: poll-only
 * nodes need no port on the controller, and while off every call is answered 403 and logged.
 */
public record AgentApiConfig(boolean enabled) {
    public static AgentApiConfig defaults() {
        return new AgentApiConfig(false);
    }
}
