package dev.drawbridge.controller.conductor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.conductor.AgentClient.Reply;
import dev.drawbridge.controller.conductor.AgentClient.Unreachable;
import dev.drawbridge.controller.enroll.CertificateRepository;
import dev.drawbridge.controller.inventory.AuditEvent;
import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.inventory.Lifecycle.Event;
import dev.drawbridge.controller.inventory.NewNode;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.Move;
import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.inventory.NodeState;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.StoreConfig;
import dev.drawbridge.controller.verify.QuoteJudge;
import dev.drawbridge.pki.CaKeyStores;
import dev.drawbridge.pki.CaSettings;
import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.protocol.TicketProof;
import dev.drawbridge.protocol.Wire;
import dev.drawbridge.testkit.TestClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node driver's phase machine on a test clock, with a scripted agent instead of sockets: a provide job
 * submits its erase command, follows it while it runs, and ends the node available, in error with the agent's
 * reason, or in error naming an unknown status; a lost command is sent again; an answer from another identity is
 * refused; a deadline moves the node to error naming its phase.
 */
class NodeDriverTest {
    @TempDir Path dir;

    private Database db;
    private final NodeRepository nodes = NodeRepository.jdbi();
    private ProvisioningStore store;
    private NodeDriver driver;
    private final TestClock clock = TestClock.atSystemTime();
    private final Script agent = new Script();
    private X509Certificate served;
    private X509Certificate stranger;
    private String id;

    /** An agent whose answers are queued by the test; every call is recorded. */
    private static final class Script implements AgentLink {
        final Deque<Reply> answers = new ArrayDeque<>();
        final List<String> calls = new ArrayList<>();

        @Override
        public Reply get(Node node, String path, boolean enrolled) throws Unreachable {
            calls.add("GET " + path);
            return next();
        }

        @Override
        public Reply post(Node node, String path, Object body, boolean enrolled) throws Unreachable {
            calls.add("POST " + path + " " + Wire.JSON.valueToTree(body));
            return next();
        }

        @Override
        public Reply post(Node node, String path, Object body, boolean enrolled, Duration wait) throws Unreachable {
            return post(node, path, body, enrolled);
        }

        private Reply next() throws Unreachable {
            if (answers.isEmpty()) {
                throw new Unreachable("no scripted answer");
            }
            return answers.removeFirst();
        }

        @Override
        public void drop(Node node) {
            calls.add("DROP");
        }

        @Override
        public Duration timeout() {
            return Duration.ofSeconds(1);
        }

        @Override
        public void close() {}
    }

    private static X509Certificate issue(CertificateAuthority ca, String cn) throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(256);
        return ca.issue(new IssueRequest(Profile.NODE, cn, List.of(cn), List.of(), kpg.generateKeyPair().getPublic()))
                .certificate();
    }

    @BeforeEach
    void setUp() throws Exception {
        CertificateAuthority ca = CertificateAuthority.open(CaKeyStores.pkcs12(dir.resolve("ca.p12"),
                "pw".toCharArray()), CaSettings.defaults());
        served = issue(ca, "node-d");
        stranger = issue(ca, "node-e");
        db = Database.open(StoreConfig.defaults(), dir);
        ConductorMetrics metrics = new ConductorMetrics(new SimpleMeterRegistry());
        store = new ProvisioningStore(db, nodes, metrics, Map::of);
        RevokedSerials revoked = new RevokedSerials(db, CertificateRepository.jdbi());
        Renewal renewal = new Renewal(null, null, store, null, clock, Duration.ofHours(24));
        driver = new NodeDriver(agent, new Phases(null, (n, t) -> Optional.empty(), new QuoteJudge(), List.of()),
                store, new Sightings(db, metrics, () -> 0, store::changed), revoked, clock, null, renewal);
        Instant now = clock.instant();
        Node n = db.inTransaction(h -> nodes.create(h, new NewNode("node-d", List.of("52:54:00:00:00:0d"), Map.of(),
                Optional.empty(), Optional.of("127.0.0.1:9"), Optional.empty(), "poll", Optional.empty(),
                Optional.empty()), now));
        id = n.id();
        move(NodeState.DISCOVERED, Event.MANAGE, null);
        move(NodeState.ENROLLING, Event.DONE, null);
        move(NodeState.MANAGEABLE, Event.PROVIDE, Job.start(Job.Action.PROVIDE, Map.of("devices", "/dev/sdb")));
        store.pin(id, TicketProof.fingerprintHex(served));
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    private void move(NodeState from, Event event, Job job) {
        Instant now = clock.instant();
        db.inTransaction(h -> nodes.transition(h, id, from,
                job == null ? Move.by(event).until(now.plus(Duration.ofMinutes(30)))
                        : Move.by(event).until(now.plus(Duration.ofMinutes(30))).withJob(job.json()), now));
    }

    private ProvisioningStore.Work work() {
        return store.some(List.of(id)).get(id);
    }

    private Node node() {
        return db.read(h -> nodes.find(h, id)).orElseThrow();
    }

    private void answer(int status, String json, X509Certificate from) throws Exception {
        JsonNode body = Wire.JSON.readTree(json);
        agent.answers.add(new Reply(status, body, TicketProof.fingerprintHex(from), Optional.of(from)));
    }

    @Test
    @DisplayName("provide: the erase command is sent once, followed while it runs, and the node ends available")
    void provideRunsToAvailable() throws Exception {
        answer(202, "{\"id\":\"c-1\",\"status\":\"RUNNING\"}", served);
        driver.drive(work());
        assertThat(agent.calls).singleElement().asString().startsWith("POST /v1/commands")
                .contains("\"name\":\"clean.erase_devices\"").contains("\"devices\":[\"/dev/sdb\"]");
        assertThat(work().job()).map(Job::commandId).contains(Optional.of("c-1"));

        answer(200, "{\"id\":\"c-1\",\"status\":\"RUNNING\",\"progress\":{\"done\":1,\"total\":4}}", served);
        driver.drive(work());
        assertThat(node().state()).isEqualTo(NodeState.CLEANING);
        assertThat(node().progress()).hasValueSatisfying(p -> assertThat(p).contains("\"done\":1"));

        answer(200, "{\"id\":\"c-1\",\"status\":\"SUCCEEDED\",\"result\":{}}", served);
        driver.drive(work());
        assertThat(agent.calls).containsExactly(agent.calls.get(0), "GET /v1/commands/c-1", "GET /v1/commands/c-1");
        assertThat(node().state()).isEqualTo(NodeState.AVAILABLE);
        List<AuditEvent> events = db.read(h -> AuditLog.jdbi().list(h, 0, 100));
        assertThat(events.getLast().detail()).containsEntry("from", "cleaning").containsEntry("to", "available");
    }

    @Test
    @DisplayName("a failed command moves the node to error with the agent's reason")
    void failedCommand() throws Exception {
        answer(202, "{\"id\":\"c-1\",\"status\":\"RUNNING\"}", served);
        driver.drive(work());
        answer(200, "{\"id\":\"c-1\",\"status\":\"FAILED\",\"error\":\"/dev/sdb: read-only\"}", served);
        driver.drive(work());
        assertThat(node().state()).isEqualTo(NodeState.ERROR);
        assertThat(node().reason()).hasValueSatisfying(r -> assertThat(r).contains("erase failed: /dev/sdb: read-only"));
    }

    @Test
    @DisplayName("an unknown command status is an error naming the node and the value, not a crash")
    void unknownStatus() throws Exception {
        answer(202, "{\"id\":\"c-1\",\"status\":\"RUNNING\"}", served);
        driver.drive(work());
        answer(200, "{\"id\":\"c-1\",\"status\":\"EXPLODED\"}", served);
        driver.drive(work());
        assertThat(node().state()).isEqualTo(NodeState.ERROR);
        assertThat(node().reason()).hasValueSatisfying(r -> assertThat(r).contains("node-d").contains("'EXPLODED'")
                .contains("erase"));
    }

    @Test
    @DisplayName("a command the agent has lost (404) is sent again")
    void lostCommandIsResent() throws Exception {
        answer(202, "{\"id\":\"c-1\",\"status\":\"RUNNING\"}", served);
        driver.drive(work());
        answer(404, "{}", served);
        driver.drive(work());
        assertThat(work().job()).map(Job::commandId).contains(Optional.empty());
        answer(202, "{\"id\":\"c-2\",\"status\":\"RUNNING\"}", served);
        driver.drive(work());
        assertThat(work().job()).map(Job::commandId).contains(Optional.of("c-2"));
        assertThat(agent.calls.stream().filter(c -> c.startsWith("POST")).count()).isEqualTo(2);
        assertThat(node().state()).isEqualTo(NodeState.CLEANING);
    }

    @Test
    @DisplayName("an answer served with another node's certificate is refused: the node goes to error, nothing runs")
    void anotherIdentityIsRefused() throws Exception {
        answer(202, "{\"id\":\"c-1\",\"status\":\"RUNNING\"}", stranger);
        driver.drive(work());
        assertThat(node().state()).isEqualTo(NodeState.ERROR);
        assertThat(node().reason()).hasValueSatisfying(r -> assertThat(r).contains("not node-d's"));
    }

    @Test
    @DisplayName("past its deadline a busy node moves to error naming the state and phase")
    void deadline() {
        clock.advance(Duration.ofMinutes(31));
        ProvisioningStore.Work w = work();
        assertThat(w.deadline()).hasValueSatisfying(d -> assertThat(clock.instant()).isAfter(d));
        driver.timeout(w, clock.instant());
        assertThat(node().state()).isEqualTo(NodeState.ERROR);
        assertThat(node().reason()).contains("deadline passed in state cleaning (provide/erase)");
        assertThat(agent.calls).isEmpty();
    }
}
