package dev.drawbridge.controller.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drawbridge.controller.enroll.CertificateRecord;
import dev.drawbridge.controller.enroll.CertificateRepository;
import dev.drawbridge.controller.enroll.StoredTicket;
import dev.drawbridge.controller.enroll.TicketRepository;
import dev.drawbridge.controller.inventory.AuditEvent;
import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.inventory.ConductorColumns;
import dev.drawbridge.controller.inventory.NewNode;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodePatch;
import dev.drawbridge.controller.inventory.NodeQuery;
import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.inventory.NodeState;
import dev.drawbridge.controller.placement.Instance;
import dev.drawbridge.controller.placement.Placement;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import org.jdbi.v3.core.HandleCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one store conformance suite (CONVENTIONS.md 10): every engine the store supports must pass
 * it unchanged. Subclasses only say how to get a fresh, empty database; each test gets its own.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class StoreConformanceTest {
    static final Instant T0 = Instant.parse("2026-01-02T03:04:05.678Z");

    final NodeRepository nodes = NodeRepository.jdbi();
    final TicketRepository tickets = TicketRepository.jdbi();
    final CertificateRepository certificates = CertificateRepository.jdbi();
    final AuditLog audit = AuditLog.jdbi();

    @TempDir
    Path dataDir;
    StoreConfig config;
    Database db;

    /** A config pointing at a new, empty database; the data directory is the SQLite home. */
    abstract StoreConfig freshStore(Path dataDir);

    abstract Dialect expectedDialect();

    @BeforeEach
    void open() {
        config = freshStore(dataDir);
        db = Database.open(config, dataDir);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void migrations_apply_to_an_empty_database_and_reopening_changes_nothing() {
        assertThat(db.dialect()).isEqualTo(expectedDialect());
        assertThat(db.describe()).doesNotContain(SECRET);
        Node node = db.inTransaction(h -> nodes.create(h, newNode("reopen-1"), T0));
        db.close();

        db = Database.open(config, dataDir);
        assertThat(findNode(node.id())).contains(node);
        long migrations = db.jdbi().withHandle(h -> h.createQuery(
                "SELECT COUNT(*) FROM flyway_schema_history WHERE success = " + trueLiteral())
                .mapTo(Long.class).one());
        long files;
        try (var list = Files.list(Path.of("src/main/resources/db/migration"))) {
            files = list.filter(f -> f.getFileName().toString().endsWith(".sql")).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(migrations).as("each migration file applied exactly once").isEqualTo(files);
    }

    @Test
    void a_set_of_thousands_of_ids_finds_exactly_those_nodes() {
        List<String> ids = db.inTransaction(h -> {
            List<String> made = new ArrayList<>();
            for (int i = 0; i < 3000; i++) {
                NewNode n = new NewNode("set-" + i, List.of(), Map.of(), Optional.empty(),
                        Optional.of("127.0.0.1:" + (1000 + i)), Optional.empty(), "poll", Optional.empty(),
                        Optional.empty());
                made.add(nodes.create(h, n, T0).id());
            }
            return made;
        });
        List<String> asked = new ArrayList<>(ids.subList(500, 2900)); // 2,400 of the 3,000
        asked.add("no-such-node");
        List<String> expected = ids.subList(500, 2900);
        db.read(h -> {
            assertThat(nodes.findByIds(h, asked)).extracting(Node::id).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(ConductorColumns.prints(h, asked).keySet()).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(ConductorColumns.prints(h, asked)).isEqualTo(
                    ConductorColumns.prints(h).entrySet().stream().filter(e -> expected.contains(e.getKey()))
                            .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
            assertThat(ConductorColumns.rows(h, asked)).extracting(ConductorColumns.Row::id)
                    .containsExactlyInAnyOrderElementsOf(expected);
            assertThat(nodes.findByIds(h, List.of("no-such-node"))).isEmpty();
            return null;
        });
    }

    @Test
    void a_read_sees_one_snapshot_even_when_a_write_commits_between_its_statements() throws Exception {
        db.inTransaction(h -> nodes.create(h, newNode("snap"), T0));
        java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            List<String> seen = db.read(h -> {
                String first = nodes.find(h, "snap").orElseThrow().labels().getOrDefault("k", "none");
                try {
                    // Another connection commits while this read is between two statements.
                    other.submit(() -> db.inTransaction(w -> nodes.patch(w, nodes.find(w, "snap").orElseThrow().id(),
                            new NodePatch(Optional.empty(), Optional.of(Map.of("k", "changed")), Optional.empty(),
                                    Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()),
                            T0.plusSeconds(1)))).get(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                String second = nodes.find(h, "snap").orElseThrow().labels().getOrDefault("k", "none");
                return List.of(first, second);
            });
            assertThat(seen).as("both statements of one read see the same state").containsExactly("none", "none");
            String after = db.read(h -> nodes.find(h, "snap").orElseThrow().labels().get("k"));
            assertThat(after).isEqualTo("changed");
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void a_created_node_is_found_by_id_and_by_name_and_is_gone_after_delete() {
        NewNode request = new NewNode("node-a", List.of("52:54:00:aa:bb:cc"), Map.of("rack", "r1", "row", "7"),
                Optional.of("10.0.0.5"), Optional.empty(), Optional.empty(), "poll", Optional.of("fencer"),
                Optional.of("file:/etc/drawbridge/bmc/node-a"));
        Node node = db.inTransaction(h -> nodes.create(h, request, T0));

        assertThat(node.state()).isEqualTo(NodeState.DISCOVERED);
        assertThat(node.version()).isEqualTo(1);
        assertThat(node.createdAt()).isEqualTo(T0);
        assertThat(node.id()).hasSize(36);
        assertThat(findNode(node.id())).contains(node);
        assertThat(findNode("node-a")).contains(node);
        assertThat(nodeCount()).isEqualTo(1);

        assertThat(writeBoolean(h -> nodes.delete(h, node.id()))).isTrue();
        assertThat(writeBoolean(h -> nodes.delete(h, node.id()))).isFalse();
        assertThat(findNode(node.id())).isEmpty();
        assertThat(nodeCount()).isZero();
    }

    @Test
    void a_duplicate_node_name_is_a_conflict_and_writes_nothing() {
        db.inTransaction(h -> nodes.create(h, newNode("taken"), T0));

        assertThatThrownBy(() -> db.inTransaction(h -> {
            nodes.create(h, newNode("fresh"), T0);
            return nodes.create(h, newNode("taken"), T0);
        })).isInstanceOf(StoreConflict.class);

        assertThat(nodeCount()).isEqualTo(1);
        assertThat(findNode("fresh")).isEmpty();
    }

    @Test
    void listing_pages_through_one_state_in_name_order() {
        for (String name : List.of("n-07", "n-03", "N-10", "n-01", "n-05", "n-02", "n-04", "n-06", "n-08", "n-09")) {
            db.inTransaction(h -> nodes.create(h, newNode(name), T0));
        }
        // The store has no state transitions (the conductor owns them), so set states in SQL.
        db.jdbi().useHandle(h -> h.execute(
                "UPDATE nodes SET state = 'available' WHERE name IN ('n-02', 'n-03', 'n-05', 'n-08', 'N-10')"));

        List<String> available = new ArrayList<>();
        Optional<String> after = Optional.empty();
        while (true) {
            Optional<String> cursor = after;
            List<Node> page = db.jdbi().withHandle(h -> nodes.list(h, new NodeQuery(Optional.of(NodeState.AVAILABLE), cursor, 2)));
            page.forEach(n -> available.add(n.name()));
            if (page.size() < 2) {
                break;
            }
            after = Optional.of(page.getLast().name());
        }
        // Byte order on every engine: upper case sorts before lower case.
        assertThat(available).containsExactly("N-10", "n-02", "n-03", "n-05", "n-08");
        assertThat(listNodes(Optional.of(NodeState.DISCOVERED), Optional.of("n-04"), 10))
                .extracting(Node::name).containsExactly("n-06", "n-07", "n-09");
        assertThat(listNodes(Optional.empty(), Optional.empty(), 3))
                .extracting(Node::name).containsExactly("N-10", "n-01", "n-02");
    }

    @Test
    void a_patch_replaces_only_the_present_fields_and_bumps_the_version() {
        Node node = db.inTransaction(h -> nodes.create(h, newNode("patched"), T0));
        Instant later = T0.plusSeconds(60);

        Optional<Node> patched = db.inTransaction(h -> nodes.patch(h, node.id(),
                new NodePatch(Optional.empty(), Optional.of(Map.of("role", "compute")), Optional.empty(),
                        Optional.of("[fd00::5]:9999"), Optional.empty(), Optional.empty(), Optional.of("env:BMC_NODE_A")),
                later));

        assertThat(patched).hasValueSatisfying(p -> {
            assertThat(p.version()).isEqualTo(2);
            assertThat(p.updatedAt()).isEqualTo(later);
            assertThat(p.createdAt()).isEqualTo(T0);
            assertThat(p.labels()).isEqualTo(Map.of("role", "compute"));
            assertThat(p.agentAddress()).contains("[fd00::5]:9999");
            assertThat(p.macs()).isEqualTo(node.macs());
            assertThat(p.bmcAddress()).isEqualTo(node.bmcAddress());
            assertThat(p.bmcUsername()).as("a field the patch left out is kept").isEqualTo(node.bmcUsername());
            assertThat(p.bmcPasswordRef()).contains("env:BMC_NODE_A");
        });
        assertThat(findNode(node.id())).isEqualTo(patched);
        Optional<Node> missing = db.inTransaction(h -> nodes.patch(h, "no-such-id", emptyPatch(), later));
        assertThat(missing).isEmpty();
    }

    @Test
    void a_ticket_is_consumed_exactly_once_when_twenty_threads_race() throws Exception {
        Node node = db.inTransaction(h -> nodes.create(h, newNode("racer"), T0));
        StoredTicket ticket = ticket("t-race", node.id(), T0.plusSeconds(3600));
        db.inTransaction(h -> {
            tickets.insert(h, ticket);
            tickets.setPinKey(h, "t-race", new byte[] {1, 2, 3});
            return null;
        });
        Optional<byte[]> before = db.inTransaction(h -> tickets.pinKey(h, "t-race"));
        assertThat(before).isPresent();
        String atRest = db.inTransaction(h -> h.createQuery("SELECT pin_key FROM enrollment_tickets WHERE id = 't-race'")
                .mapTo(String.class).one());
        assertThat(atRest).as("sealed at rest").startsWith("v1:").doesNotContain("010203");

        List<Boolean> results = race(20, i -> db.inTransaction(h -> tickets.consume(h, "t-race", T0.plusSeconds(i))));

        assertThat(results).containsOnlyOnce(true);
        assertThat(findTicket("t-race"))
                .hasValueSatisfying(t -> assertThat(t.usedAt()).isPresent());
        Optional<byte[]> after = db.inTransaction(h -> tickets.pinKey(h, "t-race"));
        assertThat(after).as("a used ticket keeps no pin key").isEmpty();
    }

    @Test
    void tickets_round_trip_expire_and_go_with_their_node_while_certificates_stay() {
        Node node = db.inTransaction(h -> nodes.create(h, newNode("owner"), T0));
        StoredTicket old = ticket("t-old", node.id(), T0.minusSeconds(1));
        StoredTicket current = ticket("t-current", node.id(), T0.plusSeconds(600));
        CertificateRecord cert = certificate("0a1b", Optional.of(node.id()));
        db.inTransaction(h -> {
            tickets.insert(h, old);
            tickets.insert(h, current);
            certificates.insert(h, cert);
            return null;
        });

        assertThat(findTicket("t-current")).contains(current);
        assertThatThrownBy(() -> db.inTransaction(h -> {
            tickets.insert(h, current);
            return null;
        })).isInstanceOf(StoreConflict.class);
        assertThat(writeLong(h -> (long) tickets.deleteExpired(h, T0))).isEqualTo(1);
        assertThat(findTicket("t-old")).isEmpty();

        db.inTransaction(h -> nodes.delete(h, node.id()));
        assertThat(findTicket("t-current")).isEmpty();
        assertThat(read(h -> certificates.byNode(h, node.id()))).containsExactly(cert);
    }

    @Test
    void a_certificate_is_revoked_once_and_the_first_revocation_stands() {
        CertificateRecord cert = certificate("7f00ff", Optional.empty());
        db.inTransaction(h -> {
            certificates.insert(h, cert);
            certificates.insert(h, certificate("7f0100", Optional.empty()));
            return null;
        });
        assertThat(findCertificate("7f00ff")).contains(cert);

        assertThat(writeBoolean(h -> certificates.revoke(h, "7f00ff", T0.plusSeconds(5), 1))).isTrue();
        assertThat(writeBoolean(h -> certificates.revoke(h, "7f00ff", T0.plusSeconds(9), 4))).isFalse();
        assertThat(writeBoolean(h -> certificates.revoke(h, "unknown", T0, 1))).isFalse();

        List<CertificateRecord> revoked = db.jdbi().withHandle(certificates::revoked);
        assertThat(revoked).singleElement().satisfies(r -> {
            assertThat(r.serialHex()).isEqualTo("7f00ff");
            assertThat(r.revokedAt()).contains(T0.plusSeconds(5));
            assertThat(r.reasonCode()).isEqualTo(1);
        });
        assertThatThrownBy(() -> db.inTransaction(h -> {
            certificates.insert(h, cert);
            return null;
        })).isInstanceOf(StoreConflict.class);
    }

    @Test
    void crl_numbers_increase_and_are_never_handed_out_twice_under_concurrency() throws Exception {
        assertThat(writeLong(certificates::nextCrlNumber)).isEqualTo(1);
        assertThat(writeLong(certificates::nextCrlNumber)).isEqualTo(2);

        List<Long> numbers = race(16, i -> db.inTransaction(certificates::nextCrlNumber));

        assertThat(numbers).containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(3, 18).boxed().toList());
        assertThat(writeLong(certificates::nextCrlNumber)).isEqualTo(19);
    }

    @Test
    void audit_appends_from_eight_threads_form_one_gapless_verifiable_chain() throws Exception {
        race(8, i -> {
            for (int j = 0; j < 25; j++) {
                int n = j;
                db.inTransaction(h -> audit.append(h, "node.enroll", "thread-" + i, "allowed",
                        Map.of("attempt", String.valueOf(n), "by", "test"), T0.plusMillis(n)));
            }
            return null;
        });

        List<AuditEvent> events = db.jdbi().withHandle(h -> audit.list(h, 0, 1000));
        assertThat(events).extracting(AuditEvent::seq)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 200).boxed().toList());
        assertThat(events.getFirst().prevHash()).isEqualTo("0".repeat(64));
        assertThat(AuditLog.verify(events)).isEmpty();
        assertThat(auditAfter(198, 10)).extracting(AuditEvent::seq)
                .containsExactly(199L, 200L);
    }

    @Test
    void editing_one_audit_row_in_sql_makes_verify_report_that_seq() {
        for (int i = 0; i < 5; i++) {
            int n = i;
            db.inTransaction(h -> audit.append(h, "cert.revoke", "serial-" + n, "done", Map.of("reason", "1"), T0));
        }
        db.jdbi().useHandle(h -> h.execute("UPDATE audit_events SET detail = '{\"reason\":\"4\"}' WHERE seq = 3"));

        List<AuditEvent> events = db.jdbi().withHandle(h -> audit.list(h, 0, 100));
        assertThat(AuditLog.verify(events)).contains(3L);
        assertThat(AuditLog.verify(events.subList(0, 2))).isEmpty();
    }

    @Test
    void a_transaction_that_throws_midway_leaves_nothing_behind() {
        IllegalStateException boom = new IllegalStateException("boom");

        assertThatThrownBy(() -> db.inTransaction(h -> {
            Node node = nodes.create(h, newNode("doomed"), T0);
            tickets.insert(h, ticket("t-doomed", node.id(), T0.plusSeconds(60)));
            certificates.insert(h, certificate("dead", Optional.of(node.id())));
            audit.append(h, "node.create", node.id(), "allowed", Map.of(), T0);
            certificates.nextCrlNumber(h);
            throw boom;
        })).isSameAs(boom);

        assertThat(nodeCount()).isZero();
        assertThat(findTicket("t-doomed")).isEmpty();
        assertThat(findCertificate("dead")).isEmpty();
        assertThat(auditAfter(0, 10)).isEmpty();
        assertThat(writeLong(h -> audit.append(h, "k", "s", "o", Map.of(), T0).seq())).isEqualTo(1);
        assertThat(writeLong(certificates::nextCrlNumber)).isEqualTo(1);
    }

    @Test
    void a_read_inside_a_write_transaction_joins_it_and_sees_its_writes() {
        long seen = db.inTransaction(h -> {
            nodes.create(h, newNode("joined"), T0);
            return db.read(nodes::count);
        });

        assertThat(seen).isEqualTo(1);
        assertThat(db.read(nodes::count)).isEqualTo(1);
    }

    // ------------------------------------------------------------------------ placement capacity bookkeeping

    @Test
    void placing_moving_and_deleting_instances_keeps_each_hosts_used_capacity_equal_to_its_instances() {
        String a = host("cap-a", 8, 16_384);
        String b = host("cap-b", 8, 8_192);
        String c = host("cap-c", 4, 4_096);
        Placement placement = placement();

        Instance web = placement.create("web", 2, 4_096, "test");
        Instance db1 = placement.create("db-1", 4, 8_192, "test");
        Instance db2 = placement.create("db-2", 2, 2_048, "test");
        assertThat(web.nodeId()).contains(a);
        assertThat(db1.nodeId()).contains(a);
        assertThat(db2.nodeId()).contains(b);
        assertThat(used()).containsEntry(a, List.of(6L, 12_288L)).containsEntry(b, List.of(2L, 2_048L))
                .containsEntry(c, List.of(0L, 0L));
        assertThat(used()).isEqualTo(summed());

        Instance tooBig = placement.create("too-big", 9, 1_024, "test");
        assertThat(tooBig.state()).isEqualTo("unplaced");
        assertThat(tooBig.nodeId()).isEmpty();
        assertThat(used()).containsEntry(a, List.of(6L, 12_288L)).containsEntry(b, List.of(2L, 2_048L))
                .containsEntry(c, List.of(0L, 0L));
        assertThat(used()).isEqualTo(summed());

        // Evacuating a: db-1 (4 CPUs, 8 GiB) fits nowhere else; web goes to b (more free memory than c).
        disable(a);
        List<Instance> moved = placement.evacuate(a, "fence-1");
        assertThat(moved).extracting(Instance::name).containsExactly("db-1", "web");
        assertThat(moved.get(0).state()).isEqualTo("unplaced");
        assertThat(moved.get(0).reason()).hasValueSatisfying(r -> assertThat(r).contains("4 CPUs"));
        assertThat(moved.get(1).nodeId()).contains(b);
        assertThat(placement.find("web")).contains(moved.get(1));
        assertThat(used()).containsEntry(a, List.of(0L, 0L)).containsEntry(b, List.of(4L, 6_144L))
                .containsEntry(c, List.of(0L, 0L));
        assertThat(used()).isEqualTo(summed());

        assertThat(placement.delete("web", "test")).hasValueSatisfying(i -> assertThat(i.nodeId()).contains(b));
        assertThat(placement.delete(db1.id(), "test")).hasValueSatisfying(i -> assertThat(i.nodeId()).isEmpty());
        assertThat(placement.delete("web", "test")).isEmpty();
        assertThat(placement.find("web")).isEmpty();
        assertThat(used()).containsEntry(b, List.of(2L, 2_048L)).containsEntry(a, List.of(0L, 0L));
        assertThat(used()).isEqualTo(summed());
        assertThat(placement.list()).extracting(Instance::name).containsExactly("db-2", "too-big");
        assertThat(AuditLog.verify(db.jdbi().withHandle(h -> audit.list(h, 0, 100)))).isEmpty();
    }

    @Test
    void an_evacuation_spreads_instances_by_free_memory_as_it_takes_room_and_keeps_the_counters() {
        String victim = host("evac-victim", 64, 65_536);
        String big = host("evac-big", 16, 12_288);
        String small = host("evac-small", 16, 8_192);
        Placement placement = placement();
        for (int i = 0; i < 5; i++) {
            assertThat(placement.create("vm-" + i, 2, 4_096, "test").nodeId()).contains(victim);
        }
        disable(victim);

        List<Instance> moved = placement.evacuate(victim, "fence-2");

        // Most free memory first, judged again after each move (GiB free): big 12 → 8; big and small both 8, so
        // the name decides: big → 4; small 8 → 4; both 4, big → 0; small → 0. Then nothing has room left.
        assertThat(moved).extracting(i -> i.nodeId().orElse("-"))
                .containsExactly(big, big, small, big, small);
        assertThat(used()).containsEntry(victim, List.of(0L, 0L)).containsEntry(big, List.of(6L, 12_288L))
                .containsEntry(small, List.of(4L, 8_192L));
        assertThat(used()).isEqualTo(summed());
        assertThat(placement.create("one-more", 1, 1, "test").state()).isEqualTo("unplaced");
    }

    @Test
    void placement_refuses_untrusted_stale_disabled_inactive_and_full_hosts() {
        host("refuse-untrusted", 64, 65_536);
        host("refuse-stale", 64, 65_536);
        host("refuse-disabled", 64, 65_536);
        host("refuse-fenced", 64, 65_536);
        host("refuse-unknown", 64, 65_536);
        host("refuse-few-cpus", 1, 65_536);
        host("refuse-little-memory", 64, 1_024);
        host("refuse-no-capacity", 64, 65_536);
        db.inTransaction(h -> {
            h.execute("UPDATE nodes SET verdict = 'untrusted' WHERE name = 'refuse-untrusted'");
            h.execute("UPDATE nodes SET verdict = 'unknown' WHERE name = 'refuse-unknown'");
            h.createUpdate("UPDATE nodes SET verdict_at = :at WHERE name = 'refuse-stale'")
                    .bind("at", T0.minus(MAX_AGE).minusMillis(1).toEpochMilli()).execute();
            h.execute("UPDATE nodes SET placement_disabled = 1 WHERE name = 'refuse-disabled'");
            h.execute("UPDATE nodes SET state = 'fenced' WHERE name = 'refuse-fenced'");
            return h.execute("UPDATE nodes SET capacity_cpus = NULL, capacity_memory_mb = NULL"
                    + " WHERE name = 'refuse-no-capacity'");
        });
        Placement placement = placement();

        Instance refused = placement.create("refused", 2, 2_048, "test");

        assertThat(refused.state()).isEqualTo("unplaced");
        assertThat(refused.reason()).contains("no active host with a fresh trusted verdict has 2 CPUs and 2048 MiB free");
        assertThat(used().values()).containsOnly(List.of(0L, 0L));

        // A verdict exactly at the maximum age is still fresh; a full host takes nothing more.
        String edge = host("accept-at-max-age", 2, 2_048);
        db.inTransaction(h -> h.createUpdate("UPDATE nodes SET verdict_at = :at WHERE id = :id")
                .bind("at", T0.minus(MAX_AGE).toEpochMilli()).bind("id", edge).execute());
        assertThat(placement.create("fits", 2, 2_048, "test").nodeId()).contains(edge);
        assertThat(placement.create("full", 2, 2_048, "test").state()).isEqualTo("unplaced");
        assertThat(used()).isEqualTo(summed());
    }

    @Test
    void concurrent_placements_never_overcommit_a_host_and_the_counters_stay_exact() throws Exception {
        String only = host("race-host", 10, 10_240);
        Placement placement = placement();

        List<Instance> placed = race(16, i -> placement.create("race-" + i, 1, 1_024, "test"));

        assertThat(placed).filteredOn(i -> i.state().equals("placed")).hasSize(10)
                .allSatisfy(i -> assertThat(i.nodeId()).contains(only));
        assertThat(used()).containsEntry(only, List.of(10L, 10_240L)).isEqualTo(summed());
    }

    @Test
    void an_evacuation_inside_an_outer_transaction_commits_or_rolls_back_with_it() {
        String from = host("outer-from", 8, 8_192);
        String to = host("outer-to", 4, 4_096);
        Placement placement = placement();
        db.inTransaction(h -> h.createUpdate("UPDATE nodes SET verdict = 'untrusted' WHERE id = :id").bind("id", to)
                .execute());
        placement.create("outer-vm", 2, 2_048, "test");
        db.inTransaction(h -> h.createUpdate("UPDATE nodes SET verdict = 'trusted' WHERE id = :id").bind("id", to)
                .execute());
        disable(from);
        Map<String, List<Long>> before = used();

        assertThatThrownBy(() -> db.inTransaction(h -> {
            placement.evacuate(from, "fence-rolled-back");
            throw new IllegalStateException("the fence step's status could not be written");
        })).hasMessageContaining("status could not be written");
        assertThat(used()).isEqualTo(before).containsEntry(from, List.of(2L, 2_048L));
        assertThat(placement.find("outer-vm")).hasValueSatisfying(i -> assertThat(i.nodeId()).contains(from));

        List<Instance> moved = db.inTransaction(h -> placement.evacuate(from, "fence-committed"));
        assertThat(moved).singleElement().satisfies(i -> assertThat(i.nodeId()).contains(to));
        assertThat(used()).containsEntry(from, List.of(0L, 0L)).containsEntry(to, List.of(2L, 2_048L))
                .isEqualTo(summed());
    }

    @Test
    @Timeout(60)
    void placements_and_evacuations_inside_outer_transactions_run_side_by_side_without_deadlock() throws Exception {
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            hosts.add(host("side-" + i, 64, 65_536));
        }
        Placement placement = placement();
        for (int i = 0; i < 16; i++) {
            placement.create("side-vm-" + i, 1, 1_024, "test");
        }
        List<String> victims = hosts.subList(0, 4);
        victims.forEach(this::disable);

        race(12, i -> i < victims.size()
                ? db.inTransaction(h -> placement.evacuate(victims.get(i), "fence-" + i))
                : List.of(placement.create("side-new-" + i, 1, 1_024, "test")));

        long left = db.read(h -> h.createQuery("SELECT COUNT(*) FROM instances WHERE node_id IN (<v>)")
                .bindList("v", victims).mapTo(Long.class).one());
        assertThat(left).isZero();
        assertThat(used()).isEqualTo(summed());
    }

    @Test
    void the_capacity_migration_fills_used_cpus_and_memory_from_instances_already_placed() throws Exception {
        // A store at the schema before the counters existed (V6), with instances the old code placed.
        Path before = Files.createDirectories(dataDir.resolve("before-v7"));
        StoreConfig old = freshStore(before);
        String url = old.url().isEmpty() ? "jdbc:sqlite:" + before.resolve(Database.SQLITE_FILE) : old.url();
        var v6 = Migrations.configure(db.dialect()).dataSource(url, old.user(), old.password()).target("6").load();
        v6.migrate();
        try (var conn = v6.getConfiguration().getDataSource().getConnection(); var st = conn.createStatement()) {
            conn.setAutoCommit(true);
            st.execute("INSERT INTO nodes (id, name, macs, labels, state, created_at, updated_at, version)"
                    + " VALUES ('h1', 'h1', '[]', '{}', 'active', 0, 0, 1), ('h2', 'h2', '[]', '{}', 'active', 0, 0, 1)");
            st.execute("INSERT INTO instances (id, name, cpus, memory_mb, node_id, state, created_at, updated_at)"
                    + " VALUES ('i1', 'i1', 2, 1024, 'h1', 'placed', 0, 0), ('i2', 'i2', 3, 2048, 'h1', 'placed', 0, 0),"
                    + " ('i3', 'i3', 1, 512, NULL, 'unplaced', 0, 0)");
        }

        try (Database migrated = Database.open(old, before)) {
            assertThat(hosts(migrated, "SELECT id, used_cpus, used_memory_mb FROM nodes"))
                    .isEqualTo(Map.of("h1", List.of(5L, 3_072L), "h2", List.of(0L, 0L)));
        }
    }

    static final Duration MAX_AGE = Duration.ofSeconds(30);

    Placement placement() {
        return new Placement(db, audit, Clock.fixed(T0, ZoneOffset.UTC), MAX_AGE);
    }

    /** An active host with capacity and a trusted verdict made at T0: open for placement. */
    String host(String name, int cpus, long memoryMb) {
        Node node = db.inTransaction(h -> nodes.create(h, newNode(name), T0));
        db.inTransaction(h -> h.createUpdate("UPDATE nodes SET state = 'active', capacity_cpus = :c,"
                        + " capacity_memory_mb = :m, verdict = 'trusted', verdict_at = :at WHERE id = :id")
                .bind("c", cpus).bind("m", memoryMb).bind("at", T0.toEpochMilli()).bind("id", node.id()).execute());
        return node.id();
    }

    /** What the fence's first steps do before evacuation: the host is fenced and closed to placement. */
    void disable(String hostId) {
        db.inTransaction(h -> h.createUpdate("UPDATE nodes SET state = 'fenced', placement_disabled = 1 WHERE id = :id")
                .bind("id", hostId).execute());
    }

    /** Each host's counters: id to [used CPUs, used MiB]. */
    Map<String, List<Long>> used() {
        return hosts(db, "SELECT id, used_cpus, used_memory_mb FROM nodes");
    }

    /** What the counters must equal: the sums over the instances on each host. */
    Map<String, List<Long>> summed() {
        return hosts(db, "SELECT n.id, COALESCE(SUM(i.cpus), 0), COALESCE(SUM(i.memory_mb), 0) FROM nodes n"
                + " LEFT JOIN instances i ON i.node_id = n.id GROUP BY n.id");
    }

    /** Rows of (host id, a, b) as id to [a, b]. */
    private static Map<String, List<Long>> hosts(Database db, String sql) {
        Map<String, List<Long>> out = new HashMap<>();
        db.read(h -> h.createQuery(sql).map((rs, ctx) -> Map.entry(rs.getString(1), List.of(rs.getLong(2),
                rs.getLong(3)))).list()).forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    Optional<Node> findNode(String idOrName) {
        return db.jdbi().withHandle(h -> nodes.find(h, idOrName));
    }

    List<Node> listNodes(Optional<NodeState> state, Optional<String> after, int limit) {
        return db.jdbi().withHandle(h -> nodes.list(h, new NodeQuery(state, after, limit)));
    }

    long nodeCount() {
        return db.jdbi().withHandle(nodes::count);
    }

    Optional<StoredTicket> findTicket(String id) {
        return db.jdbi().withHandle(h -> tickets.find(h, id));
    }

    Optional<CertificateRecord> findCertificate(String serialHex) {
        return db.jdbi().withHandle(h -> certificates.find(h, serialHex));
    }

    List<AuditEvent> auditAfter(long seq, int limit) {
        return db.jdbi().withHandle(h -> audit.list(h, seq, limit));
    }

    List<CertificateRecord> read(HandleCallback<List<CertificateRecord>, RuntimeException> callback) {
        return db.jdbi().withHandle(callback);
    }

    boolean writeBoolean(HandleCallback<Boolean, RuntimeException> callback) {
        return db.inTransaction(callback);
    }

    long writeLong(HandleCallback<Long, RuntimeException> callback) {
        return db.inTransaction(callback);
    }

    static final String SECRET = "s3cret-never-logged";

    private String trueLiteral() {
        return db.dialect() == Dialect.SQLITE ? "1" : "TRUE";
    }

    static NewNode newNode(String name) {
        return new NewNode(name, List.of("52:54:00:00:00:01", "52:54:00:00:00:02"), Map.of("env", "test"),
                Optional.empty(), Optional.empty(), Optional.empty(), "poll", Optional.empty(), Optional.empty());
    }

    static NodePatch emptyPatch() {
        return new NodePatch(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    static StoredTicket ticket(String id, String nodeId, Instant expiresAt) {
        return new StoredTicket(id, nodeId, new byte[] {1, 2, 3, (byte) 0xfe}, expiresAt, Optional.empty(), T0);
    }

    static CertificateRecord certificate(String serialHex, Optional<String> nodeId) {
        return new CertificateRecord(serialHex, nodeId, "node", "CN=" + serialHex, T0, T0.plusSeconds(86_400),
                Optional.empty(), 0, "");
    }

    interface Task<T> {
        T run(int index) throws Exception;
    }

    /** Starts all tasks at once, so they really contend, and returns their results in task order. */
    static <T> List<T> race(int threads, Task<T> task) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int index = i;
                Callable<T> c = () -> {
                    start.await();
                    return task.run(index);
                };
                futures.add(pool.submit(c));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
