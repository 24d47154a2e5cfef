package dev.drawbridge.controller.cluster;

import dev.drawbridge.controller.config.ClusterConfig;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.WriteGuard;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This controller's place among the controllers sharing its store: its {@link Membership}, the {@link Leases} of
 * singleton duties, and the {@link Ownership} of nodes. Off ({@code cluster.enabled: false}, the default) it still
 * registers and beats, so a second controller started on the same store by mistake refuses to start, and every node
 * and duty is its own. In {@code shared} mode the live members split the nodes ({@link Shards}) and each duty runs
 * on whichever member holds its lease. In {@code active-standby} mode one member holds the {@code active} lease
 * and does everything; the others watch it and take over when it lapses.
 */
public final class Cluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);
    public static final String ACTIVE = "active";

    private final ClusterConfig cfg;
    private final Database db;
    private final Membership membership;
    private final Leases leases;
    private final Ownership ownership;
    private final Semaphore wake = new Semaphore(0);
    private volatile Supplier<Collection<String>> nodes = List::of;
    private volatile Supplier<Set<String>> busy = Set::of;
    private volatile Thread loop;
    private volatile boolean wasActive;
    private volatile MultiGauge memberNodes;
    private volatile MultiGauge memberQuiet;

    private Cluster(ClusterConfig cfg, Database db, Membership membership, Leases leases, Ownership ownership) {
        this.cfg = cfg;
        this.db = db;
        this.membership = membership;
        this.leases = leases;
        this.ownership = ownership;
    }

    /**
     * Joins the store's cluster as {@code name}, reachable at {@code address}, and starts beating; an
     * IllegalStateException says why it may not (another live controller on the store while clustering is off).
     */
    public static Cluster join(Database db, ClusterConfig cfg, String name, String address, Clock clock) {
        // The heartbeat on connections of its own: a member busy taking over a share must still beat.
        Membership membership = new Membership(db.liveness(), cfg, name, address, clock, System::nanoTime);
        membership.join(!cfg.enabled());
        Leases leases = new Leases(db, membership, cfg.leaseTtl(), clock, System::nanoTime);
        Ownership ownership = !cfg.enabled() ? Ownership.everything()
                : cfg.activeStandby() ? new ActiveOwnership(leases, membership.id(), cfg.pacemaker())
                : new Shards(db, membership, cfg.virtualPoints(), clock);
        Cluster c = new Cluster(cfg, db, membership, leases, ownership);
        membership.onChange(c.wake::release);
        membership.onStall(() -> {
            if (ownership instanceof Shards s) {
                s.dropAll();
            }
            leases.dropAll();
        });
        membership.start();
        if (cfg.enabled()) {
            c.refresh();
        }
        c.loop = Thread.ofVirtual().name("cluster-ownership").start(c::run);
        return c;
    }

    /** Tells the cluster which nodes the conductor looks after and which have a poll in flight. */
    public void attach(Supplier<Collection<String>> lookedAfter, Supplier<Set<String>> inFlight) {
        this.nodes = lookedAfter;
        this.busy = inFlight;
        wake.release();
    }

    private void run() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                wake.tryAcquire(cfg.heartbeat().toMillis(), TimeUnit.MILLISECONDS);
                wake.drainPermits();
            } catch (InterruptedException e) {
                return;
            }
            try {
                refresh();
            } catch (RuntimeException e) {
                LOG.warn("cluster: cannot bring node ownership up to date: {}", e.toString());
            }
        }
    }

    private void refresh() {
        ownership.refresh(nodes.get(), busy.get());
        publish();
        if (cfg.activeStandby()) {
            boolean active = leases.holds(ACTIVE);
            if (active != wasActive) {
                LOG.info(active ? "this controller is now the active one: it polls nodes and runs every duty"
                        : "this controller is now a standby: it polls nothing until the active lease lapses");
                wasActive = active;
            }
        }
    }

    /**
     * Runs a singleton duty here if this member should: always when clustering is off; in shared mode when it holds
     * the duty's lease; in active-standby mode when it is the active one. Every write the duty makes is checked
     * against that lease's epoch first. Returns whether it ran.
     */
    public boolean duty(String name, Runnable work) {
        if (!cfg.enabled()) {
            work.run();
            return true;
        }
        if (cfg.activeStandby()) {
            Optional<Leases.Held> active = leases.held(ACTIVE);
            if (active.isEmpty()) {
                return false;
            }
            db.guarded(leases.guard(active.get()), () -> {
                work.run();
                return null;
            });
            return true;
        }
        return leases.run("duty:" + name, work);
    }

    /**
     * Exports the cluster to {@code registry}: {@code drawbridge_cluster_members{state}},
     * {@code drawbridge_cluster_member_nodes{member}} and {@code drawbridge_cluster_member_quiet_seconds{member}}
     * (by member name), {@code drawbridge_cluster_active} (1 when this member polls) and
     * {@code drawbridge_cluster_fenced_writes_total}.
     */
    public void bind(MeterRegistry registry) {
        Gauge.builder("drawbridge.cluster.members", this, c -> c.membership.members().stream()
                .filter(Membership.Member::alive).count()).tag("state", "alive").register(registry);
        Gauge.builder("drawbridge.cluster.members", this, c -> c.membership.members().stream()
                .filter(m -> !m.alive()).count()).tag("state", "dead").register(registry);
        Gauge.builder("drawbridge.cluster.active", this, c -> c.active() ? 1 : 0).register(registry);
        FunctionCounter.builder("drawbridge.cluster.fenced.writes", this, Cluster::fencedWrites).register(registry);
        memberNodes = MultiGauge.builder("drawbridge.cluster.member.nodes").register(registry);
        memberQuiet = MultiGauge.builder("drawbridge.cluster.member.quiet").baseUnit("seconds").register(registry);
        publish();
    }

    private void publish() {
        MultiGauge nodesGauge = memberNodes;
        MultiGauge quietGauge = memberQuiet;
        if (nodesGauge == null || quietGauge == null) {
            return;
        }
        Map<String, Integer> counts = counts();
        List<Membership.Member> members = membership.members();
        nodesGauge.register(members.stream().map(m -> MultiGauge.Row.of(Tags.of("member", m.name()),
                counts.getOrDefault(m.id(), 0))).toList(), true);
        quietGauge.register(members.stream().map(m -> MultiGauge.Row.of(Tags.of("member", m.name()),
                m.quiet().toMillis() / 1000.0)).toList(), true);
    }

    public Ownership ownership() {
        return ownership;
    }

    public Membership membership() {
        return membership;
    }

    public Leases leases() {
        return leases;
    }

    public ClusterConfig config() {
        return cfg;
    }

    /** Whether this member may poll at all: clustering off, shared mode, or the active member of a pair. */
    public boolean active() {
        return !cfg.enabled() || !cfg.activeStandby() || leases.holds(ACTIVE);
    }

    /** The members with how many nodes each holds, as last seen. */
    public Map<String, Integer> counts() {
        return cfg.enabled() ? ownership.counts() : Map.of(membership.id(), nodes.get().size());
    }

    /** Writes refused by an epoch check (leases and reservations), since start. */
    public long fencedWrites() {
        return leases.fencedWrites() + (ownership instanceof Shards s ? s.fencedWrites() : 0);
    }

    /** Stops: releases nodes and leases and leaves, so the other members take over at once. */
    @Override
    public void close() {
        Thread t = loop;
        if (t != null) {
            t.interrupt();
        }
        if (ownership instanceof Shards s) {
            s.releaseAll();
        }
        leases.releaseAll();
        membership.close();
    }

    /** The active member of a pair drives every node; a standby none. */
    private static final class ActiveOwnership implements Ownership {
        private final Leases leases;
        private final String self;
        private final boolean external;
        private volatile boolean promoted;
        private volatile int count;
        private volatile Consumer<String> gained = id -> { };
        /**
         * The epoch of the active lease under which every node was announced gained: a member that becomes the
         * active one polls nothing until then, so its conductor reads every node afresh first (the old active one
         * may have moved jobs on since this member last read them).
         */
        private volatile long announced = -1;

        ActiveOwnership(Leases leases, String self, boolean external) {
            this.leases = leases;
            this.self = self;
            this.external = external;
        }

        @Override
        public boolean mine(String nodeId) {
            return leases.holds(ACTIVE) && leases.held(ACTIVE).map(h -> h.epoch() == announced).orElse(false);
        }

        @Override
        public void onGained(Consumer<String> listener) {
            gained = listener;
            announced = -1; // announced again, to this listener, at the next refresh
        }

        @Override
        public WriteGuard guard(String nodeId) {
            return leases.held(ACTIVE).map(leases::guard).orElse(h -> {
                throw new WriteGuard.Fenced("this controller is a standby: node " + nodeId + " is the active one's");
            });
        }

        @Override
        public void refresh(Collection<String> nodeIds, Set<String> busy) {
            // Under a resource manager only a promoted member holds the lease (and renews it); a lapse is not a
            // reason to take it, since the manager decides.
            if (!external || promoted) {
                leases.acquire(ACTIVE);
            }
            leases.held(ACTIVE).ifPresent(h -> {
                if (h.epoch() != announced) {
                    nodeIds.forEach(gained);
                    announced = h.epoch();
                }
            });
            count = nodeIds.size();
        }

        @Override
        public java.util.OptionalLong epoch(String nodeId) {
            return leases.held(ACTIVE).map(h -> java.util.OptionalLong.of(h.epoch())).orElse(java.util.OptionalLong.empty());
        }

        @Override
        public Map<String, Integer> counts() {
            return leases.held(ACTIVE).map(h -> Map.of(self, count)).orElse(Map.of());
        }
    }

    /**
     * {@code cluster.mode: pacemaker}: makes this member the active one now (the resource manager's promote), taking
     * the {@code active} lease at a higher epoch whoever held it. IllegalStateException in any other mode.
     */
    public long promote() {
        ActiveOwnership a = external();
        a.promoted = true;
        long epoch = leases.seize(ACTIVE).epoch();
        wake.release();
        LOG.info("promoted by the resource manager: active at epoch {}", epoch);
        return epoch;
    }

    /** {@code cluster.mode: pacemaker}: makes this member a standby (the resource manager's demote). */
    public void demote() {
        ActiveOwnership a = external();
        a.promoted = false;
        leases.release(ACTIVE);
        LOG.info("demoted by the resource manager: standby");
    }

    private ActiveOwnership external() {
        if (!cfg.enabled() || !cfg.pacemaker() || !(ownership instanceof ActiveOwnership a)) {
            throw new IllegalStateException("promote and demote are for cluster.mode pacemaker (with cluster.enabled);"
                    + " this controller runs " + (cfg.enabled() ? cfg.mode() : "unclustered"));
        }
        return a;
    }

    /** How long after a member's last beat it counts as dead. */
    public Duration deadAfter() {
        return cfg.deadAfter();
    }
}
