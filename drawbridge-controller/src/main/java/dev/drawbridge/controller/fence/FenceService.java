package dev.drawbridge.controller.fence;

import dev.drawbridge.controller.trust.TrustService;
import dev.drawbridge.controller.enroll.Revocations;
import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.inventory.Lifecycle;
import dev.drawbridge.controller.inventory.Move;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.inventory.NodeState;
import dev.drawbridge.controller.inventory.PlacementColumns;
import dev.drawbridge.controller.placement.Placement;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.verify.Trust;
import dev.drawbridge.controller.verify.Verdicts;
import dev.drawbridge.pki.CertificateAuthority;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fences nodes: the fence record, its steps and the node's move to {@code fenced} commit in one
 * transaction before any step runs; then the steps run in order ({@link StepRunner}), each status stored
 * with the step's own change or with the next store write. Power-off runs beside the later steps (a slow
 * BMC must not hold up revocation's siblings: evacuation and the notice), and counts as confirmed only
 * when the BMC reads back off. A restart resumes unfinished fences.
 */
public final class FenceService {
    private static final Logger LOG = LoggerFactory.getLogger(FenceService.class);
    private final Database db;
    private final NodeRepository nodes;
    private final AuditLog audit;
    private final List<FenceStep> steps;
    private final StepRunner runner;
    private final Verdicts verdicts;
    private final Clock clock;
    private volatile Runners runners = Runners.alone();
    /** Told the id of each node a fence or a readmission moved, once that committed. */
    private volatile Consumer<String> moved = id -> { };

    /**
     * Who carries fences: this controller run's member id, and whether another run is alive. A fence is run by the
     * member that started it; one whose runner died is taken over by another ({@link #resumeOrphans}).
     */
    public interface Runners {
        /** A controller on its own: a new id per service, and every other runner counts as gone. */
        static Runners alone() {
            String id = "local-" + UUID.randomUUID();
            return new Runners() {
                @Override
                public String self() {
                    return id;
                }

                @Override
                public boolean alive(String member) {
                    return false;
                }
            };
        }

        String self();

        boolean alive(String member);
    }

    public FenceService(Database db, NodeRepository nodes, AuditLog audit, List<FenceStep> steps, Verdicts verdicts,
                        Clock clock, MeterRegistry metrics) {
        this.db = db;
        this.nodes = nodes;
        this.audit = audit;
        this.steps = List.copyOf(steps);
        this.verdicts = verdicts;
        this.clock = clock;
        this.runner = new StepRunner(db, steps, clock, Timer.builder("drawbridge.fence.latency")
                .description("from the fence decision to every step but power-off being done")
                .publishPercentiles(0.5, 0.99).register(metrics));
    }

    /** The standard steps: disable placement, revoke certificates, revoke OAuth, power off, evacuate, notify. */
    public static List<FenceStep> standardSteps(Database db, Revocations revocations, TrustService trust,
                                                PowerControl power, Placement placement,
                                                FenceStep notify) {
        return List.of(Steps.disablePlacement(db), Steps.revokeCertificates(revocations), Steps.revokeOauth(trust),
                Steps.powerOff(power), Steps.evacuate(placement),
                notify);
    }

    /** The notify step: a webhook signed by the CA, posted to {@code url} (config {@code fencing.webhook-url}). */
    public static FenceStep webhook(URI url, CertificateAuthority ca, Clock clock) {
        return Steps.notify(url, ca, HttpClient.newHttpClient(), clock);
    }

    /** The notify step when no webhook is configured: done at once, saying nobody was notified. */
    public static FenceStep noWebhook() {
        return Steps.nobodyToNotify();
    }

    /**
     * Tells {@code listener} of each node a fence or a readmission moved, once it committed: the conductor reads
     * the node at its next tick, so no poll acts on the state from before.
     */
    public void onMoved(Consumer<String> listener) {
        this.moved = listener;
    }

    /** Tells the service which cluster member this is, so fences are claimed by it and taken over from dead ones. */
    public void runners(Runners given) {
        this.runners = given;
    }

    /**
     * Fences a node and runs the steps. Idempotent: a node already being fenced returns its running fence, and a
     * node already fenced returns its last fence when the trigger is automatic (a poll that read the node before its
     * fence committed must not fence it twice); an operator may fence a fenced node again.
     */
    public Fence fence(String nodeIdOrName, Trigger trigger, String reason, String actor) {
        Instant now = clock.instant();
        Started started = db.inTransaction(h -> {
            Node node = nodes.find(h, nodeIdOrName).orElseThrow(() -> new IllegalArgumentException(
                    "no node '" + nodeIdOrName + "' in inventory"));
            Optional<String> running = h.createQuery("SELECT id FROM fences WHERE node_id = :n AND status = 'running'")
                    .bind("n", node.id()).mapTo(String.class).findFirst();
            if (running.isPresent()) {
                return new Started(running.get(), null);
            }
            if (node.state() == NodeState.FENCED && trigger != Trigger.OPERATOR) {
                Optional<String> last = fenceIds(h, node.id()).stream().findFirst();
                if (last.isPresent()) {
                    return new Started(last.get(), null);
                }
            }
            if (node.state() != NodeState.FENCED) {
                nodes.transition(h, node.id(), node.state(), Move.by(Lifecycle.Event.FENCE).because("fenced: " + reason),
                        now);
            }
            String id = UUID.randomUUID().toString();
            h.createUpdate("INSERT INTO fences (id, node_id, trigger_kind, reason, actor, status, created_at, runner)"
                            + " VALUES (:id, :n, :t, :r, :a, 'running', :at, :runner)")
                    .bind("id", id).bind("n", node.id()).bind("t", trigger.wire()).bind("r", reason).bind("a", actor)
                    .bind("at", now.toEpochMilli()).bind("runner", runners.self()).execute();
            for (int i = 0; i < steps.size(); i++) {
                h.createUpdate("INSERT INTO fence_steps (fence_id, ordinal, step, status, updated_at)"
                                + " VALUES (:f, :o, :s, 'pending', :at)")
                        .bind("f", id).bind("o", i).bind("s", steps.get(i).name()).bind("at", now.toEpochMilli()).execute();
            }
            audit.append(h, "fence", node.name(), "granted", Map.of("fence", id, "trigger", trigger.wire(), "reason", reason,
                    "actor", actor), now);
            return new Started(id, node.id());
        });
        String fenceId = started.fenceId();
        if (started.movedNode() != null) {
            moved.accept(started.movedNode());
        }
        try {
            run(fenceId);
        } catch (dev.drawbridge.controller.store.WriteGuard.Fenced e) {
            LOG.info("fence {} is being carried by another controller: {}", fenceId, e.getMessage());
        }
        return find(fenceId).orElseThrow();
    }

    /** Runs every fence a previous controller left unfinished (at start). */
    public void resumeAll() {
        resumeOrphans();
    }

    /**
     * Takes over every running fence whose runner is not a live member (a controller killed in the middle of it, or
     * this controller's previous run), by a conditional update on the runner it saw, and finishes it here. Safe to
     * call from every member at once: each fence is taken by one. Returns how many were taken.
     */
    public int resumeOrphans() {
        String me = runners.self();
        List<Map.Entry<String, String>> running = db.read(h -> h.createQuery("SELECT id, runner FROM fences"
                + " WHERE status = 'running'").map((rs, c) -> Map.entry(rs.getString(1), rs.getString(2))).list());
        int taken = 0;
        for (var f : running) {
            if (f.getValue().equals(me) || runners.alive(f.getValue())) {
                continue;
            }
            int n = db.inTransaction(h -> h.createUpdate("UPDATE fences SET runner = :me WHERE id = :id AND runner = :old"
                    + " AND status = 'running'").bind("me", me).bind("id", f.getKey()).bind("old", f.getValue()).execute());
            if (n == 1) {
                taken++;
                LOG.warn("resuming fence {}: its runner {} is gone", f.getKey(),
                        f.getValue().isEmpty() ? "(a previous run)" : f.getValue());
                Thread.ofVirtual().name("fence-" + f.getKey()).start(() -> {
                    try {
                        run(f.getKey());
                    } catch (RuntimeException e) {
                        LOG.warn("resumed fence {} stopped: {}", f.getKey(), e.toString());
                    }
                });
            }
        }
        return taken;
    }

    /** Runs the fence's steps, every write checking first that this member still carries the fence. */
    private void run(String fenceId) {
        Fence fence = find(fenceId).orElseThrow();
        String me = runners.self();
        String lock = db.dialect() == dev.drawbridge.controller.store.Dialect.POSTGRESQL ? " FOR SHARE" : "";
        db.guarded(h -> {
            String holder = h.createQuery("SELECT runner FROM fences WHERE id = :id" + lock).bind("id", fenceId)
                    .mapTo(String.class).findFirst().orElse("");
            if (!holder.equals(me)) {
                LOG.warn("refused a write for fence {}: it is now carried by {}", fenceId, holder);
                throw new dev.drawbridge.controller.store.WriteGuard.Fenced("fence " + fenceId + " is carried by "
                        + holder + ", not this controller");
            }
        }, () -> {
            runner.run(fence, db.read(h -> nodes.find(h, fence.nodeId())).orElseThrow());
            return null;
        });
    }

    public Optional<Fence> find(String fenceId) {
        return db.read(h -> find(h, fenceId));
    }

    public List<Fence> forNode(String nodeId) {
        return db.read(h -> fenceIds(h, nodeId).stream().flatMap(id -> find(h, id).stream()).toList());
    }

    /** The node's fences, newest first. */
    private static List<String> fenceIds(Handle h, String nodeId) {
        return h.createQuery("SELECT id FROM fences WHERE node_id = :n ORDER BY created_at DESC")
                .bind("n", nodeId).mapTo(String.class).list();
    }

    /** What {@link #fence} decided: the fence to run, and the node it moved (null when it made no new fence). */
    private record Started(String fenceId, String movedNode) {}

    private static Optional<Fence> find(Handle h, String id) {
        List<Fence.StepState> stepStates = h.createQuery("SELECT ordinal, step, status, detail, updated_at FROM fence_steps"
                        + " WHERE fence_id = :f ORDER BY ordinal").bind("f", id)
                .map((rs, ctx) -> new Fence.StepState(rs.getInt("ordinal"), rs.getString("step"), rs.getString("status"),
                        Optional.ofNullable(rs.getString("detail")), Instant.ofEpochMilli(rs.getLong("updated_at")))).list();
        return h.createQuery("SELECT id, node_id, trigger_kind, reason, actor, status, created_at, finished_at FROM fences"
                        + " WHERE id = :f").bind("f", id)
                .map((rs, ctx) -> {
                    long fin = rs.getLong("finished_at");
                    Optional<Instant> finished = rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(fin));
                    return new Fence(rs.getString("id"), rs.getString("node_id"), rs.getString("trigger_kind"),
                            rs.getString("reason"), rs.getString("actor"), rs.getString("status"),
                            Instant.ofEpochMilli(rs.getLong("created_at")), finished, stepStates);
                }).findFirst();
    }

    /**
     * Lets a fenced node back in: it needs an operator's approval and a trusted verdict made after its
     * latest fence. The node goes to {@code enrolling} with {@code reissueJob} (a new key and certificate,
     * since the fence revoked the old ones), then {@code manageable}, open for placement again.
     */
    public Node readmit(String nodeIdOrName, String approver, String reason, String reissueJob, Duration deadline) {
        Instant now = clock.instant();
        Node readmitted = db.inTransaction(h -> {
            Node node = nodes.find(h, nodeIdOrName).orElseThrow(() -> new IllegalArgumentException(
                    "no node '" + nodeIdOrName + "' in inventory"));
            if (node.state() != NodeState.FENCED) {
                throw new IllegalStateException("node " + node.name() + " is " + node.state().wire() + ", not fenced");
            }
            Instant fencedAt = h.createQuery("SELECT MAX(created_at) FROM fences WHERE node_id = :n").bind("n", node.id())
                    .mapTo(Long.class).findFirst().map(Instant::ofEpochMilli).orElse(Instant.EPOCH);
            var latest = verdicts.latestSince(node.id(), fencedAt);
            if (latest.isEmpty() || latest.get().verdict() != Trust.TRUSTED
                    || verdicts.current(node.id()) != Trust.TRUSTED) {
                throw new IllegalStateException("node " + node.name() + " has no passing attestation since it was fenced"
                        + latest.map(r -> " (latest: " + r.verdict().wire() + " " + r.reasons() + ")").orElse(""));
            }
            Node moved = nodes.transition(h, node.id(), NodeState.FENCED, Move.by(Lifecycle.Event.READMIT)
                    .until(now.plus(deadline)).withJob(reissueJob), now).orElseThrow();
            PlacementColumns.placementDisabled(h, node.id(), false);
            audit.append(h, "readmit", node.name(), "granted", Map.of("approved_by", approver, "reason", reason,
                    "attestation", latest.get().id()), now);
            return moved;
        });
        this.moved.accept(readmitted.id());
        return readmitted;
    }
}
