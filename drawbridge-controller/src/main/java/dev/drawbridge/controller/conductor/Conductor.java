package dev.drawbridge.controller.conductor;

import dev.drawbridge.controller.cluster.Cluster;
import dev.drawbridge.controller.cluster.Ownership;
import dev.drawbridge.controller.conductor.ProvisioningStore.Work;
import dev.drawbridge.controller.config.ConductorConfig;
import dev.drawbridge.controller.enroll.CertificateRepository;
import dev.drawbridge.controller.enroll.EnrollmentService;
import dev.drawbridge.controller.enroll.TicketRepository;
import dev.drawbridge.controller.fence.FenceService;
import dev.drawbridge.controller.fence.Trigger;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.WriteGuard;
import dev.drawbridge.controller.verify.QuoteJudge;
import dev.drawbridge.controller.verify.Verdicts;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls every agent; the agent never calls the controller. Busy nodes are driven through their job a
 * step at a time; settled nodes get a liveness poll every interval with jitter. Each poll runs on its own
 * virtual thread, bounded by a semaphore; an agent that does not answer backs off exponentially and never
 * delays the others. Deadlines are checked on every tick, so no node stays in an {@code *ing} state forever.
 */
public final class Conductor implements Polling {
    private static final Logger LOG = LoggerFactory.getLogger(Conductor.class);
    private static final Duration TICK = Duration.ofMillis(200);
    /** Every this many ticks (10 s) the tick looks at every node instead of the queue of due ones. */
    static final int SWEEP_EVERY = 50;

    /** A node due for a poll since {@code at} (null: never polled by this conductor). */
    private record Due(Instant at, Work work) {
        static final Comparator<Due> ORDER = Comparator.comparing(Due::at, Comparator.nullsFirst(
                Comparator.naturalOrder()));
    }

    private final ConductorConfig cfg;
    private final NodeDriver driver;
    private final Clock clock;
    private final ConductorMetrics metrics;
    private final ScheduleCache schedule;
    private final PollTiming timing;
    private final Unreachability unreachability;
    /** Polls running at once, at most {@code max-concurrent-polls}; a node is never polled twice at once. */
    private final Semaphore permits;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private int ticks; // the tick thread's only
    private final Thread loop;
    private final Database db;
    private final Cluster cluster;
    private volatile boolean running = true;

    Conductor(ConductorConfig cfg, ScheduleCache schedule, PollTiming timing, Unreachability unreachability,
              NodeDriver driver, Clock clock, ConductorMetrics metrics, Database db, Cluster cluster) {
        this.cfg = cfg;
        this.db = db;
        this.cluster = cluster;
        this.schedule = schedule;
        this.timing = timing;
        this.unreachability = unreachability;
        this.driver = driver;
        this.clock = clock;
        this.metrics = metrics;
        this.permits = new Semaphore(cfg.maxConcurrentPolls());
        schedule.onArrival(timing::arrived);
        this.loop = Thread.ofVirtual().name("conductor").unstarted(this::run);
    }

    /**
     * Builds the conductor's parts, reporting poll lateness, tick time and store writes to {@code registry}, fencing a
     * node after {@code fenceUnreachableAfter} missed polls in a row (0: never);
     * call {@link #start()} to begin polling.
     */
    public static Conductor create(ConductorConfig cfg, Database db,
                                   NodeRepository nodes,
                                   EnrollmentService enrollment,
                                   TicketRepository tickets,
                                   CertificateRepository certificates,
                                   SSLContext pinning, SSLContext mutual, Clock clock,
                                   Verdicts verdicts,
                                   FenceService fences,
                                   MeterRegistry registry,
                                   List<X509Certificate> ekCas,
                                   int fenceUnreachableAfter, Duration nodeLifetime, Cluster cluster) {
        ConductorMetrics metrics = new ConductorMetrics(registry);
        ProvisioningStore store = new ProvisioningStore(db, nodes, metrics, verdicts::golden);
        Sightings sightings = new Sightings(db, metrics, verdicts::flush, store::changed);
        RevokedSerials revoked = new RevokedSerials(db, certificates);
        QuoteJudge attestor = new QuoteJudge();
        Phases phases = new Phases(enrollment, (nodeId, ticketId) -> db.inTransaction(h -> tickets.find(h, ticketId)
                .filter(t -> t.nodeId().equals(nodeId)).flatMap(t -> tickets.pinKey(h, ticketId))), attestor, ekCas);
        AgentClient client = new AgentClient(pinning, mutual, cfg.requestTimeout());
        // A fence it starts is read again at the next tick (FenceService.onMoved, wired by the controller to wake).
        Attestation attestation = new Attestation(attestor, verdicts, (nodeId, reason) -> fences.fence(nodeId,
                Trigger.ATTESTATION, reason, "conductor"), metrics);
        Renewal renewal = new Renewal(enrollment, attestor, store, metrics, clock, nodeLifetime);
        return new Conductor(cfg, new ScheduleCache(store, sightings, revoked, cluster.ownership(), metrics),
                new PollTiming(cfg, ThreadLocalRandom.current()::nextDouble),
                new Unreachability(store, fences, cfg.unreachableAfter(), fenceUnreachableAfter),
                new NodeDriver(client, phases, store, sightings, revoked, clock, attestation, renewal), clock, metrics,
                db, cluster);
    }

    public void start() {
        // The cluster shares out the nodes this conductor looks after, and keeps any with a poll in flight.
        cluster.attach(schedule::ids, () -> inFlight);
        loop.start();
        LOG.info("conductor polling agents every {} (at most {} at once)", cfg.pollInterval(), cfg.maxConcurrentPolls());
    }

    private void run() {
        while (running) {
            try {
                tick();
            } catch (RuntimeException e) {
                LOG.warn("conductor tick failed: {}", e.toString());
            }
            try {
                Thread.sleep(TICK);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    void tick() {
        long started = System.nanoTime();
        try {
            startDue();
        } finally {
            metrics.tick(System.nanoTime() - started);
        }
    }

    private void startDue() {
        Instant now = clock.instant();
        Instant wall = Instant.now();
        schedule.refresh(wall);
        Map<String, Map<Integer, String>> golden = schedule.golden();
        List<Due> ready = new ArrayList<>();
        Ownership owned = cluster.ownership();
        if (ticks++ % SWEEP_EVERY == 0) {
            // Every node, as a backstop to the queue: a node whose poll ended without setting a next time (a write
            // refused by the epoch check, say) is found here, and so is a busy node past its deadline whose agent
            // backs off.
            for (Work w : schedule.mine()) { // its share when clustered, gained nodes once read afresh
                consider(w, now, wall, owned, ready);
            }
        } else {
            // The nodes whose time came; one not to be polled now (in flight, another member's, not read since it
            // was gained) comes back when its poll ends, when it is read, or at the sweep.
            for (String id : timing.due(wall)) {
                Work w = schedule.get(id);
                if (w != null) {
                    consider(w, now, wall, owned, ready);
                }
            }
        }
        // Longest overdue first, so when polls outnumber permits nobody starves: a node never polled yet goes first.
        ready.sort(Due.ORDER);
        for (int i = 0; i < ready.size(); i++) {
            Due d = ready.get(i);
            if (!permits.tryAcquire()) {
                // As many polls run as allowed: the rest stay due and go first at a later tick.
                ready.subList(i, ready.size()).forEach(r -> timing.arrived(r.work().node().id()));
                break;
            }
            Work w = d.work();
            String id = w.node().id();
            Instant due = d.at();
            // In flight first, then ownership: a release (Shards) removes its claim first and then looks for a poll
            // in flight, so either it sees this poll and keeps the node, or this sees the node gone.
            if (!inFlight.add(id)) {
                permits.release();
                continue;
            }
            // The claim's epoch is taken now, with the admission: a refresh may drop the claim a moment later, and the
            // agent must then see this poll's epoch (and refuse it), never a request with none.
            java.util.OptionalLong epoch = owned.epoch(id);
            if (!owned.mine(id) || owned.epochs() && epoch.isEmpty()) {
                inFlight.remove(id);
                permits.release();
                timing.arrived(id); // looked at again next tick; dropped there if it is no longer this member's
                continue;
            }
            Thread.ofVirtual().name("poll-" + w.node().name()).start(() -> {
                try {
                    if (due != null) {
                        metrics.late(Duration.between(due, Instant.now()));
                    }
                    metrics.polled();
                    // Every write this poll makes checks first that the node is still this controller's.
                    AgentClient.underEpoch(epoch, () -> db.guarded(owned.guard(id), () -> {
                        poll(ProvisioningStore.withGolden(w, golden));
                        return null;
                    }));
                } finally {
                    if (w.node().state().busy()) {
                        schedule.reload(id); // its job moved on: the next step needs the stored one
                    }
                    inFlight.remove(id);
                    permits.release();
                }
            });
        }
    }

    /** A busy node past its deadline times out; a due node joins {@code ready}; others are left. */
    private void consider(Work w, Instant now, Instant wall, Ownership owned, List<Due> ready) {
        String id = w.node().id();
        if (inFlight.contains(id) || !owned.mine(id)) {
            return; // in flight, or another controller's (clustered)
        }
        if (w.node().state().busy() && w.deadline().filter(now::isAfter).isPresent()) {
            try {
                db.guarded(owned.guard(id), () -> {
                    driver.timeout(w, now);
                    return null;
                });
            } catch (WriteGuard.Fenced e) {
                LOG.warn("left {}'s deadline to its new owner: {}", w.node().name(), e.getMessage());
            }
            return;
        }
        if (timing.isDue(id, wall)) {
            ready.add(new Due(timing.dueSince(id).orElse(null), w));
        }
    }

    private void poll(Work w) {
        Node node = w.node();
        boolean busy = node.state().busy();
        try {
            if (busy) {
                driver.drive(w);
            } else {
                driver.liveness(w);
            }
            timing.answered(node.id(), busy, Instant.now());
        } catch (AgentClient.Unreachable e) {
            unreachability.missed(node, timing.missed(node.id(), busy, Instant.now()), e.getMessage());
        } catch (WriteGuard.Fenced e) {
            LOG.warn("stopped polling {}: {}", node.name(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("polling {} failed: {}", node.name(), e.toString());
            timing.failed(node.id(), Instant.now());
        }
    }

    /** Polls a node at the next tick, e.g. right after an operator action. */
    public void wake(String nodeId) {
        schedule.changed(nodeId);
        timing.wake(nodeId);
    }

    @Override
    public void close() {
        running = false;
        loop.interrupt();
        driver.close();
        schedule.flushNow();
    }
}
