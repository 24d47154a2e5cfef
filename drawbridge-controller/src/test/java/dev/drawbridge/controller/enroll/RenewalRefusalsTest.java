package dev.drawbridge.controller.enroll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.inventory.NewNode;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.StoreConfig;
import dev.drawbridge.pki.CaKeyStores;
import dev.drawbridge.pki.CaSettings;
import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.IssuedCertificate;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.pki.Profile;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CA's side of renewal: only an unrevoked node certificate of the node itself, and never for a fenced node. */
class RenewalRefusalsTest {
    @TempDir Path dir;
    Database db;
    CertificateAuthority ca;
    EnrollmentService enrollment;
    final NodeRepository nodes = NodeRepository.jdbi();
    final CertificateRepository certs = CertificateRepository.jdbi();
    Node node;
    IssuedCertificate current;

    @BeforeEach
    void enrolledNode() throws Exception {
        db = Database.open(StoreConfig.defaults(), dir);
        ca = CertificateAuthority.open(CaKeyStores.pkcs12(dir.resolve("ca.p12"), "pw".toCharArray()),
                CaSettings.defaults());
        enrollment = new EnrollmentService(db, ca, nodes, TicketRepository.jdbi(), certs, AuditLog.jdbi(),
                Clock.systemUTC(), Duration.ofHours(1));
        node = db.inTransaction(h -> nodes.create(h, new NewNode("ren-1", List.of(), Map.of(), Optional.empty(),
                Optional.empty(), Optional.empty(), "poll", Optional.empty(), Optional.empty()), Instant.now()));
        current = ca.issue(new IssueRequest(Profile.NODE, "ren-1", List.of("ren-1"), List.of(), key().getPublic()));
        db.inTransaction(h -> {
            certs.insert(h, Certificates.record(current, Optional.of(node.id()), Profile.NODE, current.pem()));
            return null;
        });
    }

    @AfterEach
    void close() {
        db.close();
    }

    private static KeyPair key() throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(256);
        return kpg.generateKeyPair();
    }

    @Test
    @DisplayName("a renewal retried with the same key (its install failed) gets the same certificate, not another")
    void aRetryWithTheSameKeyGetsTheSameCertificate() throws Exception {
        KeyPair pendingKey = key();
        var first = enrollment.renew(node.id(), current.serialHex(), csr("ren-1", pendingKey));
        var again = enrollment.renew(node.id(), current.serialHex(), csr("ren-1", pendingKey));
        assertThat(again.certificate().serialHex()).isEqualTo(first.certificate().serialHex());
        List<CertificateRecord> held = db.read(h -> certs.byNode(h, node.id()));
        assertThat(held).hasSize(2);
    }

    private static String csr(String cn) throws Exception {
        return csr(cn, key());
    }

    private static String csr(String cn, KeyPair kp) throws Exception {
        var req = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + cn), kp.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()));
        return Pem.encode("CERTIFICATE REQUEST", req.getEncoded());
    }

    @Test
    @DisplayName("a renewal issues a new node certificate from inventory and keeps the old one valid")
    void renews() throws Exception {
        var granted = enrollment.renew(node.id(), current.serialHex(), csr("ren-1"));
        assertThat(granted.certificate().serialHex()).isNotEqualTo(current.serialHex());
        assertThat(Profile.of(granted.certificate().certificate())).contains(Profile.NODE);
        assertThat(db.read(h -> certs.find(h, current.serialHex())).orElseThrow().revokedAt()).isEmpty();
    }

    @Test
    @DisplayName("a fenced node is never renewed")
    void fencedNodeIsNotRenewed() throws Exception {
        db.inTransaction(h -> h.createUpdate("UPDATE nodes SET state = 'fenced' WHERE id = :id").bind("id", node.id())
                .execute());
        var refused = catchThrowableOfType(EnrollmentRefused.class,
                () -> enrollment.renew(node.id(), current.serialHex(), csr("ren-1")));
        assertThat(refused.reason()).isEqualTo(EnrollmentRefused.Reason.NODE_FENCED);
        List<CertificateRecord> held = db.read(h -> certs.byNode(h, node.id()));
        assertThat(held).hasSize(1);
    }

    @Test
    @DisplayName("a revoked certificate, another node's, or a CSR for another name is not renewed")
    void onlyTheNodesOwnUnrevokedCertificateIsRenewed() throws Exception {
        var refused = catchThrowableOfType(EnrollmentRefused.class,
                () -> enrollment.renew(node.id(), "abcdef", csr("ren-1")));
        assertThat(refused.reason()).isEqualTo(EnrollmentRefused.Reason.RENEWAL_REFUSED);
        var wrongName = catchThrowableOfType(EnrollmentRefused.class,
                () -> enrollment.renew(node.id(), current.serialHex(), csr("someone-else")));
        assertThat(wrongName.reason()).isEqualTo(EnrollmentRefused.Reason.IDENTITY_MISMATCH);
        db.inTransaction(h -> certs.revoke(h, current.serialHex(), Instant.now(), 1));
        var revoked = catchThrowableOfType(EnrollmentRefused.class,
                () -> enrollment.renew(node.id(), current.serialHex(), csr("ren-1")));
        assertThat(revoked.reason()).isEqualTo(EnrollmentRefused.Reason.RENEWAL_REFUSED);
        List<CertificateRecord> held = db.read(h -> certs.byNode(h, node.id()));
        assertThat(held).hasSize(1);
    }
}
