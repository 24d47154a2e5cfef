package dev.drawbridge.controller.conductor;

import dev.drawbridge.controller.config.ConductorConfig;
import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.inventory.Lifecycle.Event;
import dev.drawbridge.controller.inventory.Lifecycle;
import dev.drawbridge.controller.inventory.Move;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.inventory.NodeState;
import dev.drawbridge.controller.store.Database;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Operator actions on a node (manage, provide, deploy, undeploy, rescue, unrescue): each is checked
 * against the lifecycle table, written with its job, deadline and audit event in one transaction, and
 * then picked up by the conductor.
 */
public final class NodeActions {
    /** An action was refused: {@code conflict} when the node's state does not allow it, else bad input. */
    public static final class Refused extends RuntimeException {
        private final boolean conflict;

        Refused(String message, boolean conflict) {
            super(message);
            this.conflict = conflict;
        }

        public boolean conflict() {
            return conflict;
        }
    }

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final String ROOT_DEVICE_LABEL = "root-device";
    private final Database db;
    private final NodeRepository nodes;
    private final AuditLog audit;
    private final ConductorConfig cfg;
    private final Clock clock;
    private final Polling polling;

    public NodeActions(Database db, NodeRepository nodes, AuditLog audit, ConductorConfig cfg, Clock clock,
                       Polling polling) {
        this.db = db;
        this.nodes = nodes;
        this.audit = audit;
        this.cfg = cfg;
        this.clock = clock;
        this.polling = polling;
    }

    /** Every action {@link #act} takes; the CLI has one verb for each (CliCommandTreeTest checks). */
    public static final List<String> ACTIONS = List.of("manage", "provide", "deploy", "undeploy",
            "rescue", "unrescue");

    public Node act(String nodeIdOrName, String action, Map<String, String> input, String actor) {
        Event event = switch (action) {
            case "manage" -> Event.MANAGE;
            case "provide" -> Event.PROVIDE;
            case "deploy" -> Event.DEPLOY;
            case "undeploy" -> Event.UNDEPLOY;
            case "rescue" -> Event.RESCUE;
            case "unrescue" -> Event.UNRESCUE;
            default -> throw new Refused("'" + action + "' is not an action; one of " + String.join(", ", ACTIONS),
                    false);
        };
        Instant now = clock.instant();
        Node moved = db.inTransaction(h -> {
            Node node = nodes.find(h, nodeIdOrName).orElseThrow(() -> new Refused("no node '" + nodeIdOrName
                    + "' in inventory", false));
            NodeState to = Lifecycle.next(node.state(), event).orElseThrow(() -> new Refused("node " + node.name()
                    + " is " + node.state().wire() + " and cannot " + action + " now", true));
            if (node.agentAddress().isEmpty()) {
                throw new Refused("node " + node.name() + " has no agent_address: set it before " + action, false);
            }
            Job job = Job.start(Job.Action.parse(action), params(node, action, input));
            Node n = nodes.transition(h, node.id(), node.state(),
                    Move.by(event).until(now.plus(deadline(to))).withJob(job.json()), now)
                    .orElseThrow(() -> new Refused("node " + node.name() + " changed state meanwhile; try again", true));
            audit.append(h, "node.action", n.name(), "granted", Map.of("action", action, "actor", actor,
                    "to", n.state().wire()), now);
            return n;
        });
        polling.wake(moved.id());
        return moved;
    }

    /** The job a readmitted node runs: a new key and certificate over mTLS, as fencing revoked the old ones. */
    public String reissueJob() {
        return Job.start(Job.Action.REISSUE, Map.of()).json();
    }

    public Duration enrollingDeadline() {
        return cfg.enrollingDeadline();
    }

    private Duration deadline(NodeState to) {
        return switch (to) {
            case ENROLLING -> cfg.enrollingDeadline();
            case CLEANING -> cfg.cleaningDeadline();
            case DEPLOYING -> cfg.deployingDeadline();
            case RESCUING -> cfg.rescuingDeadline();
            default -> throw new IllegalStateException(to + " is not a busy state");
        };
    }

    private static Map<String, String> params(Node node, String action, Map<String, String> in) {
        Map<String, String> p = new HashMap<>();
        Optional<String> root = Optional.ofNullable(in.get("target")).or(() -> Optional.ofNullable(
                node.labels().get(ROOT_DEVICE_LABEL)));
        switch (action) {
            case "provide", "undeploy", "unrescue" -> p.put("devices", Optional.ofNullable(in.get("devices")).or(() -> root)
                    .orElseThrow(() -> new Refused("say which devices to clean: 'devices' (comma-separated) or the"
                            + " node label " + ROOT_DEVICE_LABEL, false)));
            case "deploy" -> {
                String url = Optional.ofNullable(in.get("image_url")).orElseThrow(() -> new Refused(
                        "deploy needs image_url", false));
                URI uri;
                try {
                    uri = URI.create(url);
                } catch (IllegalArgumentException e) {
                    throw new Refused("image_url is not a URL", false);
                }
                if (!List.of("http", "https").contains(String.valueOf(uri.getScheme())) || uri.getHost() == null) {
                    throw new Refused("image_url must be an http or https URL with a host", false);
                }
                String sha = Optional.ofNullable(in.get("image_sha256")).map(String::toLowerCase).orElse("");
                if (!SHA256.matcher(sha).matches()) {
                    throw new Refused("deploy needs image_sha256: 64 hex digits", false);
                }
                p.put("image_url", url);
                p.put("image_sha256", sha);
                p.put("target", root.orElseThrow(() -> new Refused("say where to write the image: 'target' or the"
                        + " node label " + ROOT_DEVICE_LABEL, false)));
            }
            default -> { }
        }
        return p;
    }
}
