package dev.drawbridge.controller.conductor;

import dev.drawbridge.controller.conductor.AgentClient.Reply;
import dev.drawbridge.controller.conductor.AgentClient.Unreachable;
import dev.drawbridge.controller.inventory.Node;
import java.time.Duration;

/**
 * The conductor's calls to one node's agent, as the node driver sees them. {@link AgentClient} makes them over
 * HTTPS; a test can script the answers and drive the phase machine without sockets.
 */
interface AgentLink extends AutoCloseable {
    /** {@code enrolled}: over mTLS with our controller certificate; otherwise over the pinning context. */
    Reply get(Node node, String path, boolean enrolled) throws Unreachable;

    /** A POST of {@code body} as JSON, answered at once. */
    Reply post(Node node, String path, Object body, boolean enrolled) throws Unreachable;

    /** A POST, asking the agent ({@code Prefer: wait}) to answer once the command is done or {@code wait} passed. */
    Reply post(Node node, String path, Object body, boolean enrolled, Duration wait) throws Unreachable;

    /** Forgets kept connections to the node's agent, so no answer comes over a session of an old certificate. */
    void drop(Node node);

    /** How long one request may take. */
    Duration timeout();

    @Override
    void close();
}
