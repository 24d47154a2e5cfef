package dev.drawbridge.controller.conductor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drawbridge.controller.cluster.Ownership;
import dev.drawbridge.controller.enroll.CertificateRepository;
import dev.drawbridge.controller.inventory.ConductorColumns;
import dev.drawbridge.controller.inventory.NewNode;
import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.inventory.NodeState;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.StoreConfig;
import dev.drawbridge.controller.store.WriteGuard;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The schedule of a member that holds a share of the fleet: it knows every node's id, reads only its share's
 * changes, and reads a node it comes to hold afresh before offering it for a poll, however many arrive at once.
 */
class ScheduleShareTest {
    private static final int NODES = 150;
    @TempDir Path dir;
    Database db;
    ProvisioningStore store;
    ScheduleCache cache;
    final Share share = new Share();
    final List<String> ids = new ArrayList<>();
    final AtomicInteger goldenReads = new AtomicInteger();
    final AtomicBoolean storeDown = new AtomicBoolean();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    /** A share of the fleet in the test's hand, announcing gains as {@code Shards} does: before mine() is true. */
    static final class Share implements Ownership {
        final Set<String> held = ConcurrentHashMap.newKeySet();
        volatile Consumer<String> listener = id -> { };
        /** A controller alone: it holds every node, and its schedule reads them all. */
        volatile boolean alone;
        /** Armed, the next reload fails once it has taken its orders: at its second look at the share. */
        final AtomicBoolean failReload = new AtomicBoolean();
        final AtomicInteger failedReloads = new AtomicInteger();
        private final ThreadLocal<int[]> looks = ThreadLocal.withInitial(() -> new int[1]);

        void gain(Collection<String> nodes) {
            for (String id : nodes) {
                listener.accept(id);
                held.add(id);
            }
        }

        void lose(Collection<String> nodes) {
            held.removeAll(nodes);
        }

        @Override
        public boolean mine(String nodeId) {
            return alone || held.contains(nodeId);
        }

        @Override
        public WriteGuard guard(String nodeId) {
            return h -> { };
        }

        @Override
        public void refresh(Collection<String> nodeIds, Set<String> busy) {
        }

        @Override
        public OptionalLong epoch(String nodeId) {
            return OptionalLong.of(1);
        }

        @Override
        public Map<String, Integer> counts() {
            return Map.of();
        }

        @Override
        public Optional<Set<String>> held() {
            // Each reload runs on a thread of its own, so the count starts afresh with each one.
            if (Thread.currentThread().getName().equals("conductor-reload") && ++looks.get()[0] == 2
                    && failReload.getAndSet(false)) {
                failedReloads.incrementAndGet();
                throw new IllegalStateException("the store dropped the connection");
            }
            return alone ? Optional.empty() : Optional.of(java.util.Collections.unmodifiableSet(held));
        }

        @Override
        public void onGained(Consumer<String> l) {
            listener = l;
            held.forEach(l);
        }
    }

    @BeforeEach
    void setUp() {
        db = Database.open(StoreConfig.defaults(), dir);
        for (int i = 0; i < NODES; i++) {
            ids.add(activeNode("share-" + i));
        }
        ConductorMetrics metrics = new ConductorMetrics(registry);
        store = new ProvisioningStore(db, NodeRepository.jdbi(), metrics, () -> {
            if (storeDown.get()) {
                throw new IllegalStateException("the store is down");
            }
            goldenReads.incrementAndGet();
            return Map.of("rack-1", Map.of(7, "ab".repeat(32)));
        });
        cache = new ScheduleCache(store, new Sightings(db, metrics, () -> 0, store::changed),
                new RevokedSerials(db, CertificateRepository.jdbi()), share, metrics);
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    @DisplayName("a member knows every node, polls only its share, leaves others' changes unread, and reads a whole"
            + " share it takes over (more than a tick reads one by one) with the job its last holder saved before"
            + " offering any of it for a poll")
    void aTakenShareIsReadAfreshBeforeItIsPolled() {
        List<String> first = ids.subList(0, 40);
        List<String> taken = ids.subList(40, 140); // 100 at once: more than a tick reads node by node
        share.gain(first);
        until(() -> {
            cache.refresh(Instant.now());
            return cache.ids().size() == NODES && cache.mine().size() == first.size();
        }, "the first reload lists the fleet and offers the first share");
        assertThat(ids(cache.mine())).containsExactlyInAnyOrderElementsOf(first);

        // Another member drives the rest: it saves jobs (no update stamp moves) and edits names (the stamp moves).
        // (After the second in which the nodes were made, so a tick's look back sees only this change.)
        pause(1100);
        String job = Job.start(Job.Action.values()[0], Map.of()).json();
        for (String id : ids.subList(40, NODES)) {
            db.inTransaction(h -> ConductorColumns.saveJob(h, id, NodeState.ACTIVE.wire(), job));
        }
        String renamed = ids.get(145);
        db.inTransaction(h -> h.createUpdate("UPDATE nodes SET name = 'renamed', updated_at = :at, version ="
                + " version + 1 WHERE id = :id").bind("at", System.currentTimeMillis() + 1).bind("id", renamed)
                .execute());
        long before = version(renamed);
        long end = System.nanoTime() + ScheduleCache.STORE_READ.plusMillis(300).toNanos(); // a store read falls in it
        while (System.nanoTime() < end) {
            cache.refresh(Instant.now());
            pause(100);
        }
        assertThat(version(renamed)).as("another member's node is not read again on its change").isEqualTo(before);

        share.gain(taken);
        Map<String, Boolean> offeredWithoutJob = new HashMap<>();
        until(() -> {
            cache.refresh(Instant.now());
            List<ProvisioningStore.Work> mine = cache.mine();
            mine.stream().filter(w -> taken.contains(w.node().id()) && w.job().isEmpty())
                    .forEach(w -> offeredWithoutJob.put(w.node().id(), true));
            return mine.size() == first.size() + taken.size();
        }, "the taken share is read and offered");
        assertThat(offeredWithoutJob).as("taken nodes offered before their last holder's job was read").isEmpty();
        assertThat(cache.mine()).filteredOn(w -> taken.contains(w.node().id()))
                .allSatisfy(w -> assertThat(w.job()).isPresent());
    }

    @Test
    @DisplayName("what this controller changes is read at the next tick; what other writers change (nodes, golden"
            + " values) is asked of the store once a second, not at every tick")
    void otherWritersAreReadOnceASecond() {
        ageTheFleet();
        share.gain(ids);
        readTheFleet();
        pause(1100); // past the last store read's second, so the next tick reads the store
        Instant t0 = Instant.now();
        cache.refresh(t0);
        int reads = goldenReads.get();
        assertThat(cache.golden()).containsKey("rack-1");

        String renamed = ids.get(3);
        String driven = ids.get(4);
        long renamedBefore = version(renamed);
        db.inTransaction(h -> h.createUpdate("UPDATE nodes SET name = 'renamed', updated_at = :at, version ="
                + " version + 1 WHERE id = :id").bind("at", System.currentTimeMillis() + 1).bind("id", renamed)
                .execute());
        store.saveJob(driven, NodeState.ACTIVE, Job.start(Job.Action.values()[0], Map.of()));

        cache.refresh(t0.plusMillis(200)); // the next tick
        assertThat(work(driven).job()).as("this controller's own change, read at the next tick").isPresent();
        assertThat(version(renamed)).as("another writer's change waits for the store read").isEqualTo(renamedBefore);
        assertThat(goldenReads.get()).as("golden values are not read at every tick").isEqualTo(reads);

        cache.refresh(t0.plus(ScheduleCache.STORE_READ));
        assertThat(version(renamed)).as("another writer's change, read a second after the last read")
                .isEqualTo(renamedBefore + 1);
        assertThat(work(renamed).node().name()).isEqualTo("renamed");
        assertThat(goldenReads.get()).isEqualTo(reads + 1);
    }

    @Test
    @DisplayName("a store read that fails ends the tick, is asked again at the next one, and loses none of this"
            + " controller's own changes")
    void aFailedStoreReadIsAskedAgainAndLosesNothing() {
        ageTheFleet();
        share.gain(ids);
        readTheFleet();
        pause(1100); // past the last store read's second
        String driven = ids.get(4);
        store.saveJob(driven, NodeState.ACTIVE, Job.start(Job.Action.values()[0], Map.of()));
        storeDown.set(true);
        Instant t0 = Instant.now();
        assertThatThrownBy(() -> cache.refresh(t0)).hasMessageContaining("the store is down");
        storeDown.set(false);
        int reads = goldenReads.get();

        cache.refresh(t0.plusMillis(200)); // the next tick, within the second
        assertThat(goldenReads.get()).as("the failed read is asked again at the next tick").isEqualTo(reads + 1);
        assertThat(work(driven).job()).as("this controller's change from before the failed read").isPresent();
    }

    @Test
    @DisplayName("nodes found changed in bulk (more than a tick reads one by one) are read once: the fleet at start,"
            + " then a bulk edit; a small edit is read once, not at every store read after it")
    void aBulkChangeIsReadOnce() {
        share.alone = true;
        readTheFleet();
        tickFor(Duration.ofMillis(2500)); // the first tick found every node new: a second reload must not read them
        assertThat(reads()).as("nodes read from the store since start").isEqualTo(NODES);

        pause(1100); // after the second in which the nodes were made, so a store read's look back finds only the edit
        List<String> edited = ids.subList(0, 100);
        edit(edited, "r9");
        until(() -> {
            tickFor(Duration.ofMillis(100));
            return edited.stream().allMatch(id -> "r9".equals(work(id).node().labels().get("rack")));
        }, "the edit is read");
        tickFor(Duration.ofMillis(2500));
        assertThat(reads()).as("the edited nodes read once more each").isEqualTo(NODES + edited.size());

        List<String> few = ids.subList(100, 105);
        edit(few, "r10");
        until(() -> {
            tickFor(Duration.ofMillis(100));
            return few.stream().allMatch(id -> "r10".equals(work(id).node().labels().get("rack")));
        }, "the small edit is read");
        tickFor(Duration.ofMillis(3500)); // three more store reads, each looking back a second
        assertThat(reads()).as("the few nodes read once more each").isEqualTo(NODES + edited.size() + few.size());
    }

    @Test
    @DisplayName("a member learns of another member's bulk create (more than a tick reads one by one) at once, not"
            + " at its next listing of the whole fleet")
    void aMemberLearnsOfABulkCreateAtOnce() {
        until(() -> {
            tickFor(Duration.ofMillis(100));
            return cache.ids().size() == NODES;
        }, "the first reload (of the whole fleet) lists it");
        pause(1100); // after the second in which the nodes were made
        for (int i = 0; i < 80; i++) {
            activeNode("created-" + i);
        }
        // Their ids are needed for the ring; a listing of this member's share would not find them.
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos(); // half the time to the next periodic reload
        while (cache.ids().size() < NODES + 80 && System.nanoTime() < end) {
            tickFor(Duration.ofMillis(100));
        }
        assertThat(cache.ids()).as("the created nodes' ids").hasSize(NODES + 80);
        assertThat(cache.mine()).as("none is this member's").isEmpty();
    }

    @Test
    @DisplayName("a listing of the whole fleet that a bulk create asked for and that fails is asked for again: the"
            + " next reload lists the whole fleet, not the member's share")
    void aFailedWholeListingIsAskedForAgain() {
        until(() -> {
            tickFor(Duration.ofMillis(100));
            return cache.ids().size() == NODES;
        }, "the first reload (of the whole fleet) lists it");
        pause(1100); // after the second in which the nodes were made
        for (int i = 0; i < 80; i++) {
            activeNode("created-" + i);
        }
        share.failReload.set(true);
        until(() -> {
            tickFor(Duration.ofMillis(100));
            return share.failedReloads.get() == 1;
        }, "the listing the bulk create asked for fails");
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos(); // half the time to the next periodic reload
        while (cache.ids().size() < NODES + 80 && System.nanoTime() < end) {
            tickFor(Duration.ofMillis(100));
        }
        assertThat(cache.ids()).as("the created nodes' ids, listed by the reload after the failed one")
                .hasSize(NODES + 80);
    }

    @Test
    @DisplayName("nodes gained and lost again before they were read leave no unread mark behind, and gained once more"
            + " they are read afresh before any is offered for a poll")
    void nodesLostBeforeTheirReadLeaveNoMark() {
        List<String> first = ids.subList(0, 40);
        share.gain(first);
        until(() -> {
            cache.refresh(Instant.now());
            return cache.ids().size() == NODES && cache.mine().size() == first.size();
        }, "the first reload lists the fleet and offers the first share");
        assertThat(cache.unread()).isZero();

        List<String> passing = ids.subList(40, 50); // a ring that moved twice within one tick
        share.gain(passing);
        share.lose(passing);
        assertThat(cache.unread()).as("marked unread when gained").isEqualTo(passing.size());
        tickFor(Duration.ofSeconds(2));
        assertThat(cache.unread()).as("marks left by nodes lost before their read").isZero();
        assertThat(ids(cache.mine())).containsExactlyInAnyOrderElementsOf(first);

        // Their new holder saves jobs (no update stamp moves); gained back, they are read before they are offered.
        String job = Job.start(Job.Action.values()[0], Map.of()).json();
        for (String id : passing) {
            db.inTransaction(h -> ConductorColumns.saveJob(h, id, NodeState.ACTIVE.wire(), job));
        }
        share.gain(passing);
        Map<String, Boolean> offeredWithoutJob = new HashMap<>();
        until(() -> {
            cache.refresh(Instant.now());
            List<ProvisioningStore.Work> mine = cache.mine();
            mine.stream().filter(w -> passing.contains(w.node().id()) && w.job().isEmpty())
                    .forEach(w -> offeredWithoutJob.put(w.node().id(), true));
            return mine.size() == first.size() + passing.size();
        }, "the nodes gained back are read and offered");
        assertThat(offeredWithoutJob).as("gained back and offered before the new holder's job was read").isEmpty();
        assertThat(cache.unread()).isZero();
    }

    /** Another writer makes an active node polled at a closed port, in one transaction; its id. */
    private String activeNode(String name) {
        return db.inTransaction(h -> {
            String id = NodeRepository.jdbi().create(h, new NewNode(name, List.of(), Map.of(), Optional.empty(),
                    Optional.of("127.0.0.1:9"), Optional.empty(), "poll", Optional.empty(), Optional.empty()),
                    Instant.now()).id();
            h.createUpdate("UPDATE nodes SET state = :s WHERE id = :id").bind("s", NodeState.ACTIVE.wire())
                    .bind("id", id).execute();
            return id;
        });
    }

    /** Another writer moves these nodes to a rack, all with one stamp. */
    private void edit(List<String> nodes, String rack) {
        long at = System.currentTimeMillis() + 1;
        for (String id : nodes) {
            db.inTransaction(h -> h.createUpdate("UPDATE nodes SET labels = :l, updated_at = :at,"
                    + " version = version + 1 WHERE id = :id").bind("l", "{\"rack\":\"" + rack + "\"}")
                    .bind("at", at).bind("id", id).execute());
        }
    }

    /** Nodes read from the store into the schedule so far, whatever asked. */
    private long reads() {
        return Math.round(registry.find("drawbridge.conductor.schedule.reads").counters().stream()
                .mapToDouble(c -> c.count()).sum());
    }

    private void tickFor(Duration d) {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            cache.refresh(Instant.now());
            pause(100);
        }
    }

    /** Ticks until the first reload has read every node. */
    private void readTheFleet() {
        until(() -> {
            cache.refresh(Instant.now());
            return cache.mine().size() == NODES;
        }, "the first reload reads the fleet");
    }

    /**
     * Makes the fleet a minute old, with one node changed half a minute ago, so a store read's second of look-back
     * (behind the newest change seen) finds that node and what the test changes, not the whole fleet (which would
     * be left to a reload on its own thread).
     */
    private void ageTheFleet() {
        db.inTransaction(h -> h.createUpdate("UPDATE nodes SET updated_at = updated_at - 60000").execute());
        db.inTransaction(h -> h.createUpdate("UPDATE nodes SET updated_at = updated_at + 30000 WHERE id = :id")
                .bind("id", ids.get(0)).execute());
    }

    private ProvisioningStore.Work work(String id) {
        return cache.all().stream().filter(w -> w.node().id().equals(id)).findFirst().orElseThrow();
    }

    private long version(String id) {
        return work(id).node().version();
    }

    private static List<String> ids(List<ProvisioningStore.Work> works) {
        return works.stream().map(w -> w.node().id()).toList();
    }

    private static void until(BooleanSupplier done, String what) {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within 20 s: " + what);
            }
            pause(50);
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
