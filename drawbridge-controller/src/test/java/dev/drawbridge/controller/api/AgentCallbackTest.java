package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.controller.config.AgentApiConfig;
import dev.drawbridge.pki.CaKeyStores;
import dev.drawbridge.pki.CaSettings;
import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.pki.Profile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The callback API when switched on: only a callback-mode node with its own unrevoked certificate may call. */
class AgentCallbackTest {
    @TempDir Path dir;

    @Test
    @DisplayName("with agent-api enabled a callback node's heartbeat is recorded, and every other caller is refused")
    void onlyCallbackNodesWithTheirCertificate() throws Exception {
        try (var c = RunningController.start(dir.resolve("data"), cfg -> cfg.withAgentApi(new AgentApiConfig(true)))) {
            assertThat(c.json("POST", "/v1/nodes", Map.of("name", "cb-node", "mode", "callback")).status()).isEqualTo(201);
            c.createNode("poll-node");
            Identity cb = enroll(c, "cb-node");
            Identity poll = enroll(c, "poll-node");

            assertThat(heartbeat(c, null).statusCode()).isEqualTo(401);
            var ok = heartbeat(c, cb);
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
            assertThat(c.get("/v1/nodes/cb-node").json().path("last_seen").isNull()).isFalse();
            assertThat(heartbeat(c, poll).statusCode()).isEqualTo(403);
            var controllerKey = KeyPairGenerator.getInstance("EC");
            controllerKey.initialize(256);
            var kp = controllerKey.generateKeyPair();
            var issued = c.controller.ca().issue(new IssueRequest(Profile.CONTROLLER, "cb-node", List.of(), List.of(),
                    kp.getPublic()));
            assertThat(heartbeat(c, new Identity(kp.getPrivate(), issued.certificate())).statusCode()).isEqualTo(403);

            // The listener lets any current certificate through the handshake (peers of other CAs): a node
            // certificate for the same node from another CA gets past TLS and is refused by the route.
            CertificateAuthority stranger = CertificateAuthority.open(CaKeyStores.pkcs12(dir.resolve("other.p12"),
                    "pw".toCharArray()), CaSettings.defaults());
            var forged = stranger.issue(new IssueRequest(Profile.NODE, "cb-node", List.of("cb-node"), List.of(),
                    kp.getPublic()));
            var refused = heartbeat(c, new Identity(kp.getPrivate(), forged.certificate()));
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.body()).contains("not-our-certificate");

            c.json("POST", "/v1/nodes/cb-node/certificates/revoke", Map.of());
            assertThat(heartbeat(c, cb).statusCode()).isEqualTo(403);
        }
    }

    record Identity(PrivateKey key, X509Certificate cert) {}

    private Identity enroll(RunningController c, String name) throws Exception {
        String csr = Csrs.ec(dir, name);
        Path key = Files.list(dir).filter(p -> p.getFileName().toString().startsWith(name + "-")
                && p.toString().endsWith(".key")).findFirst().orElseThrow();
        var a = c.enroll(c.ticket(name, null), csr);
        assertThat(a.status()).isEqualTo(201);
        return new Identity(Pem.privateKey(Files.readString(key)), Pem.certificate(a.json().path("certificate").asText()));
    }

    private HttpResponse<String> heartbeat(RunningController c, Identity id) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("root", c.controller.ca().root());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        if (id != null) {
            keys.setKeyEntry("me", id.key(), new char[0], new Certificate[] {id.cert()});
        }
        kmf.init(keys, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        HttpClient http = HttpClient.newBuilder().sslContext(ctx).build();
        return http.send(HttpRequest.newBuilder(URI.create(c.controller.url() + "/v1/agent/heartbeat"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
