package dev.drawbridge.controller.conductor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeState;
import dev.drawbridge.pki.CaKeyStores;
import dev.drawbridge.pki.CaSettings;
import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.protocol.TicketProof;
import dev.drawbridge.protocol.Wire;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the conductor recognises a node's agent: by the certificate issued to it, never by its CN alone. */
class NodeIdentityTest {
    @TempDir Path dir;

    private X509Certificate issue(CertificateAuthority ca, Profile profile, String cn) throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(256);
        return ca.issue(new IssueRequest(profile, cn, List.of(cn), List.of(), kpg.generateKeyPair().getPublic()))
                .certificate();
    }

    private static ProvisioningStore.Work work(String name, Optional<String> pinned) {
        Instant now = Instant.now();
        Node node = new Node("id-1", name, List.of(), Map.of(), Optional.empty(), Optional.of("127.0.0.1:1"),
                NodeState.ACTIVE, Optional.empty(), now, now, 1, Optional.empty(), "poll", Optional.empty(),
                Optional.empty(), false, Optional.empty(), Optional.empty());
        return new ProvisioningStore.Work(node, Optional.empty(), Optional.empty(), pinned, Optional.empty());
    }

    private static AgentClient.Reply reply(X509Certificate served) {
        return new AgentClient.Reply(200, Wire.JSON.createObjectNode(), TicketProof.fingerprintHex(served),
                Optional.of(served));
    }

    @Test
    @DisplayName("a console or controller certificate naming the node is not the node, even with the pinned key")
    void onlyTheNodeProfileWithThePinnedKeyIsTheNode() throws Exception {
        CertificateAuthority ca = CertificateAuthority.open(CaKeyStores.pkcs12(dir.resolve("ca.p12"),
                "pw".toCharArray()), CaSettings.defaults());
        NodeDriver driver = new NodeDriver(null, null, null, null, null, Clock.systemUTC(), null,
                new Renewal(null, null, null, null, Clock.systemUTC(), Duration.ofHours(24)));
        X509Certificate node = issue(ca, Profile.NODE, "node-07");
        X509Certificate console = issue(ca, Profile.CONSOLE_CLIENT, "node-07");
        X509Certificate controller = issue(ca, Profile.CONTROLLER, "node-07");
        X509Certificate other = issue(ca, Profile.NODE, "node-08");

        assertThat(driver.belongs(work("node-07", Optional.of(TicketProof.fingerprintHex(node))), reply(node))).isTrue();
        for (X509Certificate impostor : List.of(console, controller)) {
            assertThat(driver.belongs(work("node-07", Optional.of(TicketProof.fingerprintHex(impostor))),
                    reply(impostor))).as(Profile.of(impostor).orElseThrow().name()).isFalse();
        }
        assertThat(driver.belongs(work("node-07", Optional.of(TicketProof.fingerprintHex(other))), reply(other)))
                .as("another node's certificate").isFalse();
        assertThat(driver.belongs(work("node-07", Optional.of(TicketProof.fingerprintHex(node))),
                new AgentClient.Reply(200, Wire.JSON.createObjectNode(), "", Optional.empty()))).isFalse();
    }

    @Test
    @DisplayName("renewal is due once two-thirds of the configured lifetime has passed, not before")
    void renewalIsDueAtTwoThirdsOfTheLifetime() throws Exception {
        CertificateAuthority ca = CertificateAuthority.open(CaKeyStores.pkcs12(dir.resolve("ca.p12"),
                "pw".toCharArray()), CaSettings.defaults().withLifetime(Profile.NODE, Duration.ofSeconds(60)));
        Renewal renewal = new Renewal(null, null, null, null, Clock.systemUTC(), Duration.ofSeconds(60));
        X509Certificate cert = issue(ca, Profile.NODE, "node-07");
        Instant notAfter = cert.getNotAfter().toInstant();
        assertThat(renewal.due(cert, notAfter.minusSeconds(21))).isFalse();
        assertThat(renewal.due(cert, notAfter.minusSeconds(20))).isTrue();
        assertThat(renewal.due(cert, notAfter.plusSeconds(1))).isTrue();
    }
}
