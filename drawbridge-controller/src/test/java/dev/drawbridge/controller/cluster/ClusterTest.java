package dev.drawbridge.controller.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drawbridge.controller.config.ClusterConfig;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.StoreConfig;
import dev.drawbridge.controller.store.WriteGuard;
import dev.drawbridge.testkit.PostgresServer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Membership, leases and node reservations between two members on one store (SQLite and PostgreSQL), with each
 * member's monotonic clock in the test's hand, so "dead" and "expired" are reached by moving a clock, not by sleeping.
 */
class ClusterTest {
    private static final ClusterConfig CFG = ClusterConfig.defaults().enabledAs("", "shared")
            .withTiming(Duration.ofSeconds(2), 3, Duration.ofSeconds(10));
    @TempDir Path dir;

    @Test
    @DisplayName("a member announces every node it comes to hold before it answers that the node is its own: nodes"
            + " taken on the ring, and every node for the active one of a pair when it takes the active lease")
    void gainsAreAnnouncedBeforeANodeIsMine() throws Exception {
        try (Database db = open("sqlite")) {
            // Shards: nothing is announced twice, and nothing is mine before it was announced.
            Member a = new Member(db, "alpha");
            List<String> nodes = IntStream.range(0, 50).mapToObj(i -> "g" + i).toList();
            List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
            a.shards.onGained(id -> {
                assertThat(a.shards.mine(id)).as(id + " is not its own before it is announced").isFalse();
                told.add(id);
            });
            a.shards.refresh(nodes, Set.of());
            a.shards.refresh(nodes, Set.of());
            assertThat(told).containsExactlyInAnyOrderElementsOf(nodes);
            // A listener registered later hears of every node held now.
            List<String> late = new ArrayList<>();
            a.shards.onGained(late::add);
            assertThat(late).containsExactlyInAnyOrderElementsOf(nodes);
        }
        try (Database db = Database.open(StoreConfig.defaults(), dir.resolve("pair"))) {
            ClusterConfig pair = ClusterConfig.defaults().enabledAs("", "active-standby")
                    .withTiming(Duration.ofMillis(300), 3, Duration.ofSeconds(2));
            List<String> nodes = List.of("p1", "p2", "p3");
            Cluster one = Cluster.join(db, pair.enabledAs("one", "active-standby"), "one", "https://one:8443",
                    Clock.systemUTC());
            Cluster two = Cluster.join(db, pair.enabledAs("two", "active-standby"), "two", "https://two:8443",
                    Clock.systemUTC());
            try {
                Map<String, List<String>> told = new java.util.concurrent.ConcurrentHashMap<>();
                for (Cluster c : List.of(one, two)) {
                    List<String> mineWhenTold = new java.util.concurrent.CopyOnWriteArrayList<>();
                    told.put(c == one ? "one" : "two", mineWhenTold);
                    c.ownership().onGained(id -> {
                        assertThat(c.ownership().mine(id)).isFalse();
                        mineWhenTold.add(id);
                    });
                    c.attach(() -> nodes, Set::of);
                }
                Cluster active = await(() -> one.ownership().mine("p1") ? one : two.ownership().mine("p1") ? two
                        : null);
                Cluster standby = active == one ? two : one;
                assertThat(told.get(active == one ? "one" : "two")).containsExactlyInAnyOrderElementsOf(nodes);
                assertThat(told.get(active == one ? "two" : "one")).as("a standby is told nothing").isEmpty();
                active.close(); // releases the lease: the standby takes it and is told of every node first
                await(() -> standby.ownership().mine("p3") ? standby : null);
                assertThat(told.get(standby == one ? "one" : "two")).containsExactlyInAnyOrderElementsOf(nodes);
            } finally {
                one.close();
                two.close();
            }
        }
    }

    @Test
    @DisplayName("the ownership pass is skipped while the live members and the version of the looked-after nodes"
            + " stand still, and runs once the version moves")
    void aPassFollowsTheVersionOfTheNodeIds() {
        try (Database db = open("sqlite")) {
            Member a = new Member(db, "alpha");
            Ids ids = new Ids();
            IntStream.range(0, 20).forEach(i -> ids.backing.add("v" + i));
            a.shards.refresh(ids, Set.of());
            a.shards.refresh(ids, Set.of()); // settled: every node held
            assertThat(mine(a, List.copyOf(ids.backing))).hasSize(20);
            // A node slipped in without the version moving is not looked at: the pass was skipped.
            ids.backing.add("v-quiet");
            a.shards.refresh(ids, Set.of());
            assertThat(a.shards.mine("v-quiet")).isFalse();
            // The version moves: the next pass places and takes it.
            ids.version.incrementAndGet();
            a.shards.refresh(ids, Set.of());
            assertThat(a.shards.mine("v-quiet")).isTrue();
        }
    }

    /** Node ids with a version the test moves by hand. */
    private static final class Ids extends java.util.AbstractSet<String> implements Ownership.NodeIds {
        final Set<String> backing = new java.util.concurrent.ConcurrentSkipListSet<>();
        final AtomicLong version = new AtomicLong();

        @Override
        public long version() {
            return version.get();
        }

        @Override
        public java.util.Iterator<String> iterator() {
            return backing.iterator();
        }

        @Override
        public int size() {
            return backing.size();
        }
    }

    private static <T> T await(java.util.function.Supplier<T> found) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        T t;
        while ((t = found.get()) == null) {
            assertThat(System.nanoTime()).as("not within 20 s").isLessThan(end);
            Thread.sleep(50);
        }
        return t;
    }

    @Test
    @DisplayName("the hash ring: shares are within 10% of even, and a member that leaves or joins moves only its own share")
    void ringMovesOnlyTheShareOfTheMemberThatChanged() {
        List<String> keys = IntStream.range(0, 10_000).mapToObj(i -> "node-" + i).toList();
        HashRing three = new HashRing(List.of("a", "b", "c"), 256);
        Map<String, Integer> shares = new HashMap<>();
        keys.forEach(k -> shares.merge(three.owner(k).orElseThrow(), 1, Integer::sum));
        assertThat(shares.values()).allSatisfy(n -> assertThat(n).isBetween(3000, 3667));

        HashRing two = new HashRing(List.of("a", "c"), 256);
        int moved = 0;
        for (String k : keys) {
            String before = three.owner(k).orElseThrow();
            String after = two.owner(k).orElseThrow();
            if (!before.equals("b")) {
                assertThat(after).as(k + " belonged to a survivor and must stay").isEqualTo(before);
            } else {
                moved++;
            }
        }
        assertThat(moved).isEqualTo(shares.get("b"));
        HashRing four = new HashRing(List.of("a", "b", "c", "d"), 256);
        for (String k : keys) {
            String after = four.owner(k).orElseThrow();
            assertThat(after.equals("d") || after.equals(three.owner(k).orElseThrow())).as(k).isTrue();
        }
        assertThat(new HashRing(List.of(), 64).owner("x")).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    @DisplayName("two members split the nodes with no overlap; when one dies the other takes its share, and the dead"
            + " one's late write about a taken node is refused by the epoch check and writes nothing")
    void reservationsFailOverAndFenceTheOldOwner(String engine) {
        try (Database db = open(engine)) {
            db.inTransaction(h -> h.execute("CREATE TABLE IF NOT EXISTS probe (node TEXT, who TEXT)"));
            Member a = new Member(db, "alpha");
            Member b = new Member(db, "beta");
            a.observe();
            List<String> nodes = IntStream.range(0, 200).mapToObj(i -> "n" + i).toList();
            a.shards.refresh(nodes, Set.of());
            b.shards.refresh(nodes, Set.of());
            a.shards.refresh(nodes, Set.of()); // a releases what the ring gives b, now that it sees b
            b.shards.refresh(nodes, Set.of()); // b takes what a released
            Set<String> ofA = mine(a, nodes);
            Set<String> ofB = mine(b, nodes);
            assertThat(ofA).doesNotContainAnyElementsOf(ofB);
            assertThat(ofA.size() + ofB.size()).isEqualTo(nodes.size());
            assertThat(ofA.size()).isBetween(50, 150);

            // b stops beating; a's clock moves past the dead time: a takes b's nodes at a higher epoch.
            String taken = ofB.iterator().next();
            for (int i = 0; i < 4; i++) {
                a.clock.addAndGet(Duration.ofSeconds(2).toNanos());
                a.membership.beat();
                a.membership.observe();
            }
            assertThat(a.membership.alive(b.membership.id())).isFalse();
            a.shards.refresh(nodes, Set.of());
            assertThat(mine(a, nodes)).hasSize(nodes.size());

            // b wakes (its own clock did not move: paused) and tries to write about a node it held.
            assertThatThrownBy(() -> db.guarded(b.shards.guard(taken), () -> db.inTransaction(h ->
                    h.execute("INSERT INTO probe (node, who) VALUES (?, 'beta')", taken))))
                    .isInstanceOf(WriteGuard.Fenced.class).hasMessageContaining("held by " + a.membership.id());
            assertThat(count(db, "probe")).isZero();
            assertThat(b.shards.fencedWrites()).isEqualTo(1);
            // a's own write about the same node goes through.
            db.guarded(a.shards.guard(taken), () -> db.inTransaction(h ->
                    h.execute("INSERT INTO probe (node, who) VALUES (?, 'alpha')", taken)));
            String who = db.read(h -> h.createQuery("SELECT who FROM probe").mapTo(String.class).one());
            assertThat(who).isEqualTo("alpha");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    @DisplayName("a singleton lease: one holder; a holder paused past the lease loses it to the other, and every write it"
            + " tries on waking is refused by the epoch check")
    void leaseFencesAPausedHolder(String engine) {
        try (Database db = open(engine)) {
            db.inTransaction(h -> h.execute("CREATE TABLE IF NOT EXISTS probe (node TEXT, who TEXT)"));
            Member a = new Member(db, "alpha");
            Member b = new Member(db, "beta");
            a.observe();
            b.observe();
            List<String> ran = new ArrayList<>();
            assertThat(a.leases.run("duty:crl", () -> ran.add("alpha"))).isTrue();
            assertThat(b.leases.run("duty:crl", () -> ran.add("beta"))).as("held by alpha").isFalse();
            Leases.Held old = a.leases.held("duty:crl").orElseThrow();

            // a pauses: its renewals stop. b watches the count stay still for the lease's time, and takes it.
            for (int i = 0; i < 6; i++) {
                b.clock.addAndGet(Duration.ofSeconds(2).toNanos());
                b.membership.beat();
                assertThat(b.leases.acquire("duty:crl").isPresent()).as("after " + (i + 1) * 2 + " s").isEqualTo(i >= 4);
            }
            assertThat(b.leases.run("duty:crl", () -> ran.add("beta"))).isTrue();
            assertThat(ran).containsExactly("alpha", "beta");
            assertThat(b.leases.list()).singleElement().satisfies(l -> {
                assertThat(l.holder()).isEqualTo(b.membership.id());
                assertThat(l.epoch()).isEqualTo(old.epoch() + 1);
            });

            // a wakes inside what it thinks is its lease (its clock did not move) and writes: refused, nothing written.
            assertThatThrownBy(() -> db.guarded(a.leases.guard(old), () -> db.inTransaction(h ->
                    h.execute("INSERT INTO probe (node, who) VALUES ('crl', 'alpha')"))))
                    .isInstanceOf(WriteGuard.Fenced.class).hasMessageContaining("epoch " + (old.epoch() + 1));
            assertThat(count(db, "probe")).isZero();
            assertThat(a.leases.fencedWrites()).isEqualTo(1);
            // And its next attempt to renew finds the lease gone rather than renewing it.
            assertThat(a.leases.acquire("duty:crl")).isEmpty();
        }
    }

    @Test
    @DisplayName("with clustering off, a second controller on a store another one beats on refuses to start, and says"
            + " what to do")
    void aSecondUnclusteredControllerRefuses() {
        try (Database db = open("sqlite")) {
            ClusterConfig off = ClusterConfig.defaults();
            Membership first = new Membership(db, off, "first", "https://a:1", Clock.systemUTC(), System::nanoTime);
            first.join(true);
            Membership second = new Membership(db, off, "second", "https://b:1", Clock.systemUTC(), System::nanoTime);
            assertThatThrownBy(() -> second.join(true)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("another controller (first at https://a:1)")
                    .hasMessageContaining("set cluster.enabled");
            // The same member restarting (same name) replaces its earlier row instead.
            new Membership(db, off, "first", "https://a:1", Clock.systemUTC(), System::nanoTime).join(true);
            assertThat(count(db, "cluster_members")).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("on PostgreSQL a member beats on connections of its own: while its work holds every connection of the"
            + " main pool for longer than the dead time (as when it takes over thousands of nodes), it keeps beating"
            + " and stays healthy, so it does not drop its nodes")
    void aMemberBusyOnEveryConnectionStillBeats() throws Exception {
        try (Database db = open("postgresql");
             Cluster cluster = Cluster.join(db, CFG, "busy", "https://busy:8443", Clock.systemUTC())) {
            int pool = 4; // open("postgresql") makes a pool of four
            CountDownLatch holding = new CountDownLatch(pool);
            CountDownLatch done = new CountDownLatch(1);
            List<Thread> work = IntStream.range(0, pool).mapToObj(i -> Thread.ofVirtual().start(() ->
                    db.inTransaction(h -> {
                        h.createQuery("SELECT 1").mapTo(Integer.class).one();
                        holding.countDown();
                        try {
                            done.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return null;
                    }))).toList();
            try {
                assertThat(holding.await(10, TimeUnit.SECONDS)).as("the work holds every connection").isTrue();
                beatsThroughTheDeadTime(cluster, "no main connection");
            } finally {
                done.countDown();
                for (Thread t : work) {
                    t.join();
                }
            }
        }
    }

    @Test
    @DisplayName("a member beats on a platform thread: while busy virtual threads hold every carrier for longer than"
            + " the dead time (as thousands of polls do when a member takes over its share), it keeps beating and"
            + " stays healthy")
    void aMemberWhoseCarriersAreAllBusyStillBeats() throws Exception {
        int carriers = Integer.getInteger("jdk.virtualThreadScheduler.parallelism",
                Runtime.getRuntime().availableProcessors());
        try (Database db = open("sqlite");
             Cluster cluster = Cluster.join(db, CFG, "busy", "https://busy:8443", Clock.systemUTC())) {
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch spinning = new CountDownLatch(carriers);
            List<Thread> spin = IntStream.range(0, carriers).mapToObj(i -> Thread.ofVirtual().start(() -> {
                spinning.countDown();
                while (!stop.get()) {
                    Thread.onSpinWait(); // never parks, so it never gives its carrier back
                }
            })).toList();
            try {
                assertThat(spinning.await(10, TimeUnit.SECONDS)).as("every carrier is busy").isTrue();
                beatsThroughTheDeadTime(cluster, "no free carrier");
            } finally {
                stop.set(true);
                for (Thread t : spin) {
                    t.join();
                }
            }
        }
    }

    /** Waits out the dead time and a second more; the member must be healthy and have beaten meanwhile. */
    private static void beatsThroughTheDeadTime(Cluster cluster, String despite) throws InterruptedException {
        long before = ownBeats(cluster);
        Thread.sleep(CFG.deadAfter().toMillis() + 1000);
        assertThat(cluster.membership().healthy()).as("healthy after the dead time with " + despite).isTrue();
        assertThat(ownBeats(cluster) - before).as("beats made meanwhile (one every 2 s)").isGreaterThanOrEqualTo(2);
    }

    private static long ownBeats(Cluster cluster) {
        return cluster.membership().members().stream().filter(Membership.Member::self).findFirst().orElseThrow()
                .beats();
    }

    private static int count(Database db, String table) {
        return db.read(h -> h.createQuery("SELECT COUNT(*) FROM " + table).mapTo(Integer.class).one());
    }

    private Set<String> mine(Member m, List<String> nodes) {
        Set<String> out = new HashSet<>();
        nodes.stream().filter(m.shards::mine).forEach(out::add);
        return out;
    }

    private Database open(String engine) {
        if (engine.equals("sqlite")) {
            return Database.open(StoreConfig.defaults(), dir);
        }
        PostgresServer pg = PostgresServer.shared();
        return Database.open(new StoreConfig(pg.jdbcUrl(pg.createDatabase("cluster_test")), pg.user(), "", 4, ""), dir);
    }

    /** One member, with its own monotonic clock. */
    private static final class Member {
        final AtomicLong clock = new AtomicLong(1_000_000_000L);
        final Membership membership;
        final Leases leases;
        final Shards shards;

        Member(Database db, String name) {
            membership = new Membership(db, CFG, name, "https://" + name + ":8443", Clock.systemUTC(), clock::get);
            membership.join(false);
            leases = new Leases(db, membership, CFG.leaseTtl(), Clock.systemUTC(), clock::get);
            shards = new Shards(db, membership, CFG.virtualPoints(), Clock.systemUTC());
        }

        void observe() {
            membership.observe();
        }
    }
}
