package dev.drawbridge.controller.trust;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.client.ClientMetadata;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import dev.drawbridge.controller.config.TrustConfig;
import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.inventory.Inventory;
import dev.drawbridge.controller.inventory.NewNode;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.StoreConfig;
import dev.drawbridge.controller.verify.Trust;
import dev.drawbridge.controller.verify.Verdicts;
import dev.drawbridge.oauth.ApiScope;
import dev.drawbridge.oauth.OAuthSettings;
import dev.drawbridge.oauth.Peer;
import dev.drawbridge.oauth.TrustDecision;
import dev.drawbridge.oauth.TrustDecision.Answer;
import dev.drawbridge.pki.CaKeyStores;
import dev.drawbridge.pki.CaSettings;
import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.testkit.TestClock;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The five-factor trust policy on a real store: each factor's effect and reason, allow-new, a policy file edited
 * while the controller runs (taking effect at once, a broken edit keeping the last good policy), a node's
 * certificate and TPM verdict, and the review of existing clients under a changed policy.
 */
class TrustPolicyTest {
    @TempDir
    Path dir;
    private final TestClock clock = TestClock.atSystemTime();
    private Database db;
    private Inventory inventory;
    private Verdicts verdicts;
    private CertificateAuthority ca;
    private Path policy;
    private TrustService trust;

    @BeforeEach
    void start() throws Exception {
        db = Database.open(StoreConfig.defaults(), dir);
        inventory = new Inventory(db, NodeRepository.jdbi(), AuditLog.jdbi(), clock);
        verdicts = new Verdicts(db, AuditLog.jdbi(), clock, Duration.ofSeconds(30));
        ca = CertificateAuthority.open(CaKeyStores.pkcs12(dir.resolve("ca.p12"), "pw".toCharArray()),
                CaSettings.defaults());
        policy = dir.resolve("policy.yaml");
        write("{}");
        trust = TrustService.create(db, new byte[32], new TrustConfig(policy.toString()), ca.root(), inventory,
                verdicts, clock);
        trust.open(OAuthSettings.defaults(URI.create("https://127.0.0.1:8443")));
    }

    @AfterEach
    void stop() {
        db.close();
    }

    private void write(String yaml) throws Exception {
        Files.writeString(policy, yaml);
        // A new modification time even within the file system's timestamp granularity.
        Files.setLastModifiedTime(policy, FileTime.from(clock.instant().plusMillis(System.nanoTime() % 1_000_000)));
    }

    private TrustDecision judge(String source, List<X509Certificate> chain) throws Exception {
        return trust.explain(InetAddress.getByName(source), chain, Optional.empty(), "bmc-1",
                EnumSet.of(ApiScope.PEER)).decision();
    }

    private static Map<String, String> outcomes(TrustDecision d) {
        return d.factors().stream().collect(Collectors.toMap(TrustDecision.Factor::name,
                TrustDecision.Factor::outcome, (a, b) -> a + "," + b));
    }

    private X509Certificate nodeCertificate(String name) throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(256);
        return ca.issue(new IssueRequest(Profile.NODE, name, List.of(name), List.of(), kpg.generateKeyPair()
                .getPublic())).certificate();
    }

    @Test
    @DisplayName("defaults: loopback is trusted, another network waits for approval; each factor gives a reason")
    void defaults() throws Exception {
        TrustDecision local = judge("127.0.0.1", List.of());
        assertThat(local.answer()).isEqualTo(Answer.TRUSTED);
        assertThat(outcomes(local)).containsEntry("network", "vouches").containsKeys("chain", "operator",
                "statement", "attestation");
        assertThat(local.factors()).allSatisfy(f -> assertThat(f.reason()).isNotBlank());
        TrustDecision remote = judge("fd00::5", List.of());
        assertThat(remote.answer()).isEqualTo(Answer.NEEDS_APPROVAL);
        assertThat(outcomes(remote)).containsEntry("network", "no opinion");
    }

    @Test
    @DisplayName("an edited policy takes effect at the next request: allow-new false denies; a broken edit keeps the"
            + " last good policy and is reported")
    void editsTakeEffectAtOnce() throws Exception {
        write("allow-new: false\n");
        TrustDecision d = judge("127.0.0.1", List.of());
        assertThat(d.answer()).isEqualTo(Answer.DENIED);
        assertThat(d.summary()).contains("trust.allow-new is false");
        write("networks:\n  deny: [\"fd00::/8\"]\n");
        assertThat(judge("fd00::5", List.of()).summary()).contains("denied").contains("fd00::/8");
        assertThat(judge("127.0.0.1", List.of()).answer()).isEqualTo(Answer.TRUSTED);
        write("networks: [oops\n");
        assertThat(judge("fd00::5", List.of()).answer()).as("the last good policy").isEqualTo(Answer.DENIED);
        assertThat(trust.policyProblem()).hasValueSatisfying(p -> assertThat(p).contains("policy.yaml"));
        write("operator:\n  deny: [bmc-1]\n");
        assertThat(judge("127.0.0.1", List.of()).summary()).contains("deny list: bmc-1");
        assertThat(trust.policyProblem()).as("fixed at the next request").isEmpty();
    }

    @Test
    @DisplayName("a node's certificate links the client to the node; its verdict decides: untrusted denies, trusted"
            + " and fresh vouches, a fence denies")
    void nodeCertificateAndVerdict() throws Exception {
        Node n = inventory.create(new NewNode("node-9", List.of("52:54:00:00:00:09"), Map.of(), Optional.empty(),
                Optional.of("127.0.0.1:9"), Optional.empty(), "poll", Optional.empty(), Optional.empty()));
        X509Certificate cert = nodeCertificate("node-9");
        TrustDecision none = judge("fd00::9", List.of(cert, ca.root()));
        assertThat(none.nodeId()).contains(n.id());
        assertThat(outcomes(none)).containsEntry("chain", "vouches").containsEntry("attestation", "no opinion");
        verdicts.record(n.id(), n.name(), Trust.UNTRUSTED, List.of("PCR 7 differs"), "00");
        assertThat(judge("fd00::9", List.of(cert, ca.root())).answer()).isEqualTo(Answer.DENIED);
        verdicts.record(n.id(), n.name(), Trust.TRUSTED, List.of(), "01");
        TrustDecision trusted = judge("fd00::9", List.of(cert, ca.root()));
        assertThat(trusted.answer()).isEqualTo(Answer.TRUSTED);
        assertThat(outcomes(trusted)).containsEntry("attestation", "vouches");
        write("attestation:\n  require: true\n  max-age: 1m\n");
        clock.advance(Duration.ofMinutes(2));
        assertThat(judge("fd00::9", List.of(cert, ca.root())).answer()).as("a stale verdict under require")
                .isEqualTo(Answer.NEEDS_APPROVAL);

        CertificateAuthority stranger = CertificateAuthority.open(CaKeyStores.pkcs12(dir.resolve("other.p12"),
                "pw".toCharArray()), CaSettings.defaults());
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(256);
        X509Certificate foreign = stranger.issue(new IssueRequest(Profile.NODE, "node-9", List.of("node-9"),
                List.of(), kpg.generateKeyPair().getPublic())).certificate();
        TrustDecision strange = judge("127.0.0.1", List.of(foreign, stranger.root()));
        assertThat(strange.summary()).contains("does not chain to our CA");
        assertThat(outcomes(strange)).as("another CA's certificate is no evidence either way")
                .containsEntry("chain", "no opinion");
        write("chain:\n  require: true\n");
        TrustDecision required = judge("127.0.0.1", List.of(foreign, stranger.root()));
        assertThat(required.answer()).isEqualTo(Answer.DENIED);
        assertThat(outcomes(required)).containsEntry("chain", "denied");
    }

    @Test
    @DisplayName("review lists an enabled client that the changed policy would no longer trust")
    void review() throws Exception {
        ClientMetadata md = new ClientMetadata();
        md.setName("old-friend");
        md.setJWKSet(new JWKSet(new ECKeyGenerator(Curve.P_256).keyID("k").generate().toPublicJWK()));
        md.setScope(new Scope("peer"));
        HTTPResponse res = trust.oauth().register(new ClientRegistrationRequest(URI.create(
                "https://127.0.0.1:8443/oauth2/register"), md, null).toHTTPRequest(),
                new Peer(InetAddress.getByName("127.0.0.1"), List.of()));
        assertThat(res.getStatusCode()).as(res.getBody()).isEqualTo(201);
        assertThat(trust.review()).isEmpty();
        write("networks:\n  deny: [127.0.0.0/8]\n");
        List<TrustService.Review> reviews = trust.review();
        assertThat(reviews).singleElement().satisfies(r -> {
            assertThat(r.client().name()).isEqualTo("old-friend");
            assertThat(r.now().answer()).isEqualTo(Answer.DENIED);
        });
        Set<String> kinds = new HashSet<>();
        inventory.events(0, 100).forEach(e -> kinds.add(e.kind()));
        assertThat(kinds).contains("oauth.register");
    }
}
