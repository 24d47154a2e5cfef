package dev.drawbridge.controller.conductor;

import dev.drawbridge.controller.verify.QuoteJudge;
import dev.drawbridge.controller.conductor.ProvisioningStore.Work;
import dev.drawbridge.controller.config.ConductorConfig;
import dev.drawbridge.controller.inventory.Lifecycle;
import dev.drawbridge.controller.inventory.Node;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls every agent; the agent never calls the controller. Busy nodes are driven through their job a
 * step at a time; settled nodes get a liveness poll every interval with jitter. Each poll runs on its own
 * virtual thread, bounded by a semaphore; an agent that does not answer backs off exponentially and never
 * delays the others. Deadlines are checked on every tick, so no node stays in an {@code *ing} state forever.
 */
public final class Conductor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Conductor.class);
    private static final Duration TICK = Duration.ofMillis(200);
    /** A full reload of the schedule, as a backstop for changes no mark reveals (a deleted node). */
    private static final Duration FULL_RELOAD = Duration.ofSeconds(10);
    private static final Duration FLUSH = Duration.ofSeconds(2);
    private static final int SMALL_CHANGE = 64;
    /** Nodes re-read per query by a full reload. */
    private static final int RELOAD_CHUNK = 500;

    private final ConductorConfig cfg;
    private final ProvisioningStore store;
    private final NodeDriver driver;
    private final Clock clock;
    private final Semaphore permits;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final Map<String, Instant> nextPoll = new ConcurrentHashMap<>();
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();
    private volatile boolean running = true;
    private java.util.Optional<dev.drawbridge.controller.fence.FenceService> fences = java.util.Optional.empty();
    /** Fences a node whose agent misses this many polls in a row; 0 never does (the default). */
    private int fenceUnreachableAfter;
    /** The kept-alive connections to agents, closed with the conductor. */
    private AgentClient client;
    private final Thread loop;
    private final ConductorMetrics metrics;
    /** The nodes the conductor looks after, by id: reloaded in full now and then, and incrementally every tick. */
    private final Map<String, Stamped> schedule = new ConcurrentHashMap<>();
    /** Each node's print as the last full reload saw it; only the reload thread touches it. */
    private final Map<String, Long> prints = new java.util.HashMap<>();
    /** Taken before every read of the store for the schedule: a later stamp saw at least as much as an earlier one. */
    private final java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();

    /** A node due for a poll since {@code at} (null: never polled by this conductor). */
    private record Due(Instant at, Work work) {
        static final java.util.Comparator<Due> ORDER = java.util.Comparator.comparing(Due::at,
                java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder()));
    }

    /** A node's work as read by the read with this stamp. */
    private record Stamped(long stamp, Work work) {
    }
    private final java.util.concurrent.atomic.AtomicLong mark = new java.util.concurrent.atomic.AtomicLong();
    private volatile Instant nextFullReload = Instant.EPOCH;
    private Instant nextFlush = Instant.EPOCH;
    private final java.util.concurrent.atomic.AtomicBoolean reloading = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicBoolean flushing = new java.util.concurrent.atomic.AtomicBoolean();

    Conductor(ConductorConfig cfg, ProvisioningStore store, NodeDriver driver, Clock clock, ConductorMetrics metrics) {
        this.metrics = metrics;
        this.cfg = cfg;
        this.store = store;
        this.driver = driver;
        this.clock = clock;
        this.permits = new Semaphore(cfg.maxConcurrentPolls());
        this.loop = Thread.ofVirtual().name("conductor").unstarted(this::run);
    }

    /**
     * Builds the conductor's parts, reporting poll lateness, tick time and store writes to {@code registry}, fencing a
     * node after {@code fenceUnreachableAfter} missed polls in a row (0: never);
     * call {@link #start()} to begin polling.
     */
    public static Conductor create(ConductorConfig cfg, dev.drawbridge.controller.store.Database db,
                                   dev.drawbridge.controller.inventory.NodeRepository nodes,
                                   dev.drawbridge.controller.inventory.AuditLog audit,
                                   dev.drawbridge.controller.enroll.EnrollmentService enrollment,
                                   dev.drawbridge.controller.enroll.TicketRepository tickets,
                                   dev.drawbridge.controller.enroll.CertificateRepository certificates,
                                   javax.net.ssl.SSLContext pinning, javax.net.ssl.SSLContext mutual, Clock clock,
                                   dev.drawbridge.controller.verify.Verdicts verdicts,
                                   dev.drawbridge.controller.fence.FenceService fences,
                                   io.micrometer.core.instrument.MeterRegistry registry,
                                   java.util.List<java.security.cert.X509Certificate> ekCas,
                                   int fenceUnreachableAfter, Duration nodeLifetime) {
        ConductorMetrics metrics = new ConductorMetrics(registry);
        ProvisioningStore store = new ProvisioningStore(db, nodes, certificates, metrics, verdicts::golden, verdicts::flush);
        QuoteJudge attestor = new QuoteJudge();
        Phases phases = new Phases(enrollment, (nodeId, ticketId) -> db.inTransaction(h -> tickets.find(h, ticketId)
                .filter(t -> t.nodeId().equals(nodeId)).flatMap(t -> tickets.pinKey(h, ticketId))), attestor, ekCas);
        AgentClient client = new AgentClient(pinning, mutual, cfg.requestTimeout());
        Attestation attestation = new Attestation(attestor, verdicts, (nodeId, reason) -> fences.fence(nodeId,
                dev.drawbridge.controller.fence.Trigger.ATTESTATION, reason, "conductor"), metrics);
        Renewal renewal = new Renewal(enrollment, attestor, store, metrics, clock, nodeLifetime);
        Conductor c = new Conductor(cfg, store, new NodeDriver(client, phases, store, clock, attestation, renewal),
                clock, metrics);
        c.fences = java.util.Optional.of(fences);
        c.fenceUnreachableAfter = fenceUnreachableAfter;
        c.client = client;
        return c;
    }

    public void start() {
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

    /**
     * Brings the cached schedule up to date without listing every node: nodes whose conductor columns this
     * conductor changed and nodes the node repository changed since the last mark, read here; a full reload every
     * {@link #FULL_RELOAD} and the batch of hot facts every {@link #FLUSH}, each on a virtual thread of its own so
     * that a tick stays short at ten thousand nodes (a full listing there takes hundreds of milliseconds).
     */
    private void refresh(Instant wall) {
        if (!wall.isBefore(nextFlush) && !flushing.getAndSet(true)) {
            nextFlush = wall.plus(FLUSH);
            Thread.ofVirtual().name("conductor-flush").start(() -> {
                try {
                    store.flushSeen();
                } catch (RuntimeException e) {
                    LOG.warn("could not write the batched sightings and verdicts: {}", e.toString());
                } finally {
                    flushing.set(false);
                }
            });
        }
        if (!wall.isBefore(nextFullReload)) {
            fullReload(wall);
        }
        // Polls check identities against this set instead of asking the store one query per poll.
        store.refreshRevoked(false);
        Set<String> ids = store.drainChanged();
        long newest = mark.get();
        // A second of overlap: a slow writer may commit a stamp older than one already seen.
        for (Map.Entry<String, Long> e : store.changedSince(newest - 1000)) {
            ids.add(e.getKey());
            newest = Math.max(newest, e.getValue());
        }
        mark.accumulateAndGet(newest, Math::max);
        if (ids.size() > SMALL_CHANGE) {
            // Many nodes changed at once (a bulk edit): one listing is cheaper than a lookup per node. A listing
            // that began before these changes would miss them, so while one runs they wait for the next tick.
            if (!fullReload(wall)) {
                ids.forEach(store::changed);
            }
            return;
        }
        reread(ids, reads.incrementAndGet());
    }

    /** Starts a full reload unless one is running; returns whether it started. */
    private boolean fullReload(Instant wall) {
        if (reloading.getAndSet(true)) {
            return false;
        }
        nextFullReload = wall.plus(FULL_RELOAD);
        Thread.ofVirtual().name("conductor-reload").start(() -> {
            try {
                // Nodes this conductor changed are re-read whatever their print says: a job saved with a new
                // command id keeps the same length, and their own re-read may have failed.
                Set<String> drained = store.drainChanged();
                store.refreshRevoked(true);
                long newest = store.newestChange();
                long stamp = reads.incrementAndGet();
                Map<String, Long> now = store.prints();
                // Gone from the listing and not read since it began: deleted, or without an agent address.
                schedule.entrySet().removeIf(e -> !now.containsKey(e.getKey()) && e.getValue().stamp() < stamp);
                prints.keySet().retainAll(now.keySet());
                java.util.List<String> moved = new java.util.ArrayList<>();
                now.forEach((id, print) -> {
                    if (!print.equals(prints.get(id)) || drained.contains(id)) {
                        moved.add(id);
                    }
                });
                for (int i = 0; i < moved.size(); i += RELOAD_CHUNK) {
                    java.util.List<String> chunk = moved.subList(i, Math.min(moved.size(), i + RELOAD_CHUNK));
                    reread(chunk, stamp);
                    chunk.forEach(id -> prints.put(id, now.get(id)));
                }
                mark.accumulateAndGet(newest, Math::max);
            } catch (RuntimeException e) {
                LOG.warn("conductor could not reload its schedule: {}", e.toString());
                nextFullReload = Instant.EPOCH;
            } finally {
                reloading.set(false);
            }
        });
        return true;
    }

    private void startDue() {
        Instant now = clock.instant();
        Instant wall = Instant.now();
        refresh(wall);
        Map<String, Map<Integer, String>> golden = store.golden();
        java.util.List<Due> ready = new java.util.ArrayList<>();
        for (Stamped entry : schedule.values()) {
            Work w = entry.work();
            String id = w.node().id();
            if (inFlight.contains(id)) {
                continue;
            }
            if (w.node().state().busy() && w.deadline().filter(now::isAfter).isPresent()) {
                timeout(w, now);
                continue;
            }
            Instant due = nextPoll.get(id);
            if (due == null || !due.isAfter(wall)) {
                ready.add(new Due(due, w));
            }
        }
        // Longest overdue first, so when polls outnumber permits nobody starves: a node never polled yet goes first.
        ready.sort(Due.ORDER);
        for (Due d : ready) {
            if (!permits.tryAcquire()) {
                break;
            }
            Work w = d.work();
            String id = w.node().id();
            Instant due = d.at();
            inFlight.add(id);
            Thread.ofVirtual().name("poll-" + w.node().name()).start(() -> {
                try {
                    if (due != null) {
                        metrics.late(Duration.between(due, Instant.now()));
                    }
                    metrics.polled();
                    poll(ProvisioningStore.withGolden(w, golden));
                } finally {
                    if (w.node().state().busy()) {
                        reload(id); // its job moved on: the next step needs the stored one
                    }
                    inFlight.remove(id);
                    permits.release();
                }
            });
        }
    }

    /**
     * Re-reads one busy node on its own poll thread after its step, so a fleet being managed does not make every
     * tick reload thousands of nodes; a failed read leaves it to the tick.
     */
    private void reload(String id) {
        store.reloaded(id);
        try {
            reread(java.util.List.of(id), reads.incrementAndGet());
        } catch (RuntimeException e) {
            store.changed(id);
        }
    }

    /**
     * Reads these nodes with a stamp taken before the read, and puts each in the schedule or drops it (no longer
     * looked after), unless a later read already decided.
     */
    private void reread(java.util.Collection<String> ids, long stamp) {
        Map<String, Work> fresh = store.some(ids);
        for (String id : ids) {
            Work w = fresh.get(id);
            if (w == null) {
                forget(id, stamp);
            } else {
                offer(id, stamp, w);
            }
        }
    }

    /**
     * Drops a node the store no longer shows as looked after, unless a read later than this one put it back: an
     * older read must not delete what a newer one found, or the node would go unpolled until its row changed.
     */
    private void forget(String id, long stamp) {
        schedule.computeIfPresent(id, (k, v) -> v.stamp() < stamp ? null : v);
    }

    /**
     * Puts a node's work in the schedule unless what is there was read later: a tick's listing that started before
     * a poll wrote its next step must not replace the poll's own re-read, or the step would be run twice.
     */
    private void offer(String id, long stamp, Work w) {
        schedule.merge(id, new Stamped(stamp, w), (old, neu) -> neu.stamp() > old.stamp() ? neu : old);
    }

    private void poll(Work w) {
        Node node = w.node();
        try {
            boolean busy = node.state().busy();
            if (busy) {
                driver.drive(w);
            } else {
                driver.liveness(w);
            }
            failures.remove(node.id());
            nextPoll.put(node.id(), Instant.now().plus(busy ? cfg.busyPollInterval() : jittered(cfg.pollInterval())));
        } catch (AgentClient.Unreachable e) {
            int n = failures.merge(node.id(), 1, Integer::sum);
            Duration backoff = cfg.pollInterval().multipliedBy(1L << Math.min(n, 10));
            nextPoll.put(node.id(), Instant.now().plus(backoff.compareTo(cfg.maxBackoff()) > 0 ? cfg.maxBackoff()
                    : node.state().busy() ? cfg.busyPollInterval().multipliedBy(1L << Math.min(n, 6)) : backoff));
            if (fenceUnreachableAfter > 0 && n == fenceUnreachableAfter && node.state() != dev.drawbridge.controller
                    .inventory.NodeState.FENCED) {
                fences.ifPresent(f -> f.fence(node.id(), dev.drawbridge.controller.fence.Trigger.UNREACHABLE, "agent silent for " + n + " polls", "policy"));
            }
            if (n == cfg.unreachableAfter() && !node.unreachable()) {
                LOG.warn("node {} is unreachable after {} polls: {}", node.name(), n, e.getMessage());
                store.unreachable(node.id());
            }
        } catch (RuntimeException e) {
            LOG.warn("polling {} failed: {}", node.name(), e.toString());
            nextPoll.put(node.id(), Instant.now().plus(cfg.pollInterval()));
        }
    }

    private void timeout(Work w, Instant now) {
        String phase = w.job().map(j -> j.action() + "/" + j.phase()).orElse("no job");
        store.transition(w.node(), Lifecycle.Event.TIMEOUT, Optional.of("deadline passed in state "
                + w.node().state().wire() + " (" + phase + ")"), Optional.empty(), Optional.empty(), now);
        LOG.warn("node {} passed its {} deadline ({})", w.node().name(), w.node().state().wire(), phase);
    }

    private Duration jittered(Duration base) {
        double spread = cfg.jitter() * (ThreadLocalRandom.current().nextDouble() * 2 - 1);
        return Duration.ofMillis(Math.max(1, (long) (base.toMillis() * (1 + spread))));
    }

    /** Polls a node at the next tick, e.g. right after an operator action. */
    public void wake(String nodeId) {
        store.changed(nodeId);
        nextPoll.remove(nodeId);
        failures.remove(nodeId);
    }

    @Override
    public void close() {
        running = false;
        loop.interrupt();
        if (client != null) {
            client.close();
        }
        try {
            store.flushSeen();
        } catch (RuntimeException e) {
            LOG.warn("could not write the last sightings: {}", e.toString());
        }
    }
}
