package dev.drawbridge.controller.conductor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.controller.enroll.CertificateRepository;
import dev.drawbridge.controller.enroll.EnrollmentService;
import dev.drawbridge.controller.enroll.TicketRepository;
import dev.drawbridge.controller.inventory.AuditEvent;
import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.inventory.NewNode;
import dev.drawbridge.controller.inventory.Node;
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
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A renewal that fails is counted every time, audited on the first of a run and every tenth, never for a fenced node. */
class RenewalFailureTest {
    @TempDir Path dir;
    Database db;
    Node node;
    X509Certificate served;
    SimpleMeterRegistry registry;
    Renewal renewal;
    AgentClient client;

    @BeforeEach
    void setUp() throws Exception {
        db = Database.open(StoreConfig.defaults(), dir);
        CertificateAuthority ca = CertificateAuthority.open(CaKeyStores.pkcs12(dir.resolve("ca.p12"),
                "pw".toCharArray()), CaSettings.defaults());
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        int port = closed;
        node = db.inTransaction(h -> NodeRepository.jdbi().create(h, new NewNode("ren-9", List.of(), Map.of(),
                Optional.empty(), Optional.of("127.0.0.1:" + port), Optional.empty(), "poll", Optional.empty(),
                Optional.empty()), Instant.now()));
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(256);
        served = ca.issue(new IssueRequest(Profile.NODE, "ren-9", List.of("ren-9"), List.of(),
                kpg.generateKeyPair().getPublic())).certificate();
        registry = new SimpleMeterRegistry();
        EnrollmentService enrollment = new EnrollmentService(db, ca, NodeRepository.jdbi(), TicketRepository.jdbi(),
                CertificateRepository.jdbi(), AuditLog.jdbi(), Clock.systemUTC(), Duration.ofHours(1));
        renewal = new Renewal(enrollment, new QuoteJudge(), null, new ConductorMetrics(registry), Clock.systemUTC(),
                Duration.ofSeconds(60));
        client = new AgentClient(SSLContext.getDefault(), SSLContext.getDefault(), Duration.ofSeconds(1));
    }

    @AfterEach
    void tearDown() {
        client.close();
        db.close();
    }

    private ProvisioningStore.Work work(Node n) {
        return new ProvisioningStore.Work(n, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    private List<AuditEvent> renewEvents() {
        return db.read(h -> AuditLog.jdbi().list(h, 0, 1000)).stream()
                .filter(e -> e.kind().equals("certificate.renew")).toList();
    }

    @Test
    @DisplayName("eleven failed attempts: eleven counted, two audited (the first and the eleventh), each naming why")
    void failuresAreCountedAndAudited() {
        for (int i = 0; i < 11; i++) {
            renewal.renew(work(node), client, served);
        }
        assertThat(registry.get("drawbridge.certificate.renewal.failures").counter().count()).isEqualTo(11.0);
        assertThat(registry.get("drawbridge.certificate.renewals").counter().count()).isZero();
        List<AuditEvent> events = renewEvents();
        assertThat(events).hasSize(2);
        assertThat(events).allSatisfy(e -> {
            assertThat(e.outcome()).isEqualTo("failed");
            assertThat(e.detail().get("reason")).contains("identity.create_csr").contains("expires at");
        });
    }

    @Test
    @DisplayName("a fenced node is not even tried")
    void fencedNodeIsNotTried() {
        Node fenced = new Node(node.id(), node.name(), node.macs(), node.labels(), node.bmcAddress(),
                node.agentAddress(), NodeState.FENCED, node.reason(), node.createdAt(), node.updatedAt(),
                node.version(), node.systemUuid(), node.mode(), node.lastSeen(), node.progress(), node.unreachable(),
                node.bmcUsername(), node.bmcPasswordRef());
        renewal.renew(work(fenced), client, served);
        assertThat(registry.get("drawbridge.certificate.renewal.failures").counter().count()).isZero();
        assertThat(renewEvents()).isEmpty();
    }
}
