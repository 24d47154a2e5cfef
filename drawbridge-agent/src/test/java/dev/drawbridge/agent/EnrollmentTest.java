package dev.drawbridge.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.IssuedCertificate;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.protocol.TicketProof;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnrollmentTest {
    @TempDir
    Path tmp;

    private AgentConfig config(TestPki pki) {
        return AgentConfig.of(tmp.resolve("data"), pki.payloadFile(pki.payloadFields("n1"))).withListen("127.0.0.1:0");
    }

    @Test
    void theTicketProofMatchesTheCertificateTheAgentServes() {
        TestPki pki = new TestPki(tmp);
        try (Agent agent = Agent.start(config(pki))) {
            AgentClient conductor = new AgentClient(agent.port(), pki.client(Optional.of(Profile.CONTROLLER)));
            byte[] nonce = new byte[32];
            new SecureRandom().nextBytes(nonce);
            JsonNode done = conductor.run("identity.prove_ticket",
                    Map.of("nonce", Base64.getUrlEncoder().withoutPadding().encodeToString(nonce)));
            X509Certificate served = conductor.servedCertificate();
            byte[] expected = TicketProof.proof(TicketProof.pinKey(TestPki.TICKET), nonce,
                    TicketProof.fingerprint(served));
            assertThat(done.at("/result/ticket_id").asText()).isEqualTo("0123456789abcdef");
            assertThat(Base64.getUrlDecoder().decode(done.at("/result/proof").asText())).isEqualTo(expected);
            assertThat(done.toString()).doesNotContain("c2VjcmV0");
        }
    }

    /**
     * The probe's finding: a fresh agent obeyed anyone. From the first connection it now answers only a controller
     * certificate of the payload's CA: no certificate, a node certificate and another CA's controller certificate
     * are all refused, and the refused commands change nothing.
     */
    @Test
    void aFreshAgentObeysOnlyAControllerOfItsPayloadCa() throws Exception {
        TestPki pki = new TestPki(tmp);
        Path victim = Files.write(tmp.resolve("victim"), new byte[] {7, 7, 7});
        try (Agent agent = Agent.start(config(pki))) {
            String erase = "clean.erase_devices";
            Map<String, Object> params = Map.of("devices", List.of(victim.toString()));
            HttpResponse<String> anonymous = new AgentClient(agent.port(), pki.client(Optional.empty()))
                    .command(erase, params);
            assertThat(anonymous.statusCode()).isEqualTo(403);
            assertThat(AgentClient.tree(anonymous).get("detail").asText()).contains("controller client certificate");
            HttpResponse<String> setInfo = new AgentClient(agent.port(), pki.client(Optional.empty()))
                    .command("node.set_info", Map.of("instance", "x"));
            assertThat(setInfo.statusCode()).isEqualTo(403);
            HttpResponse<String> asNode = new AgentClient(agent.port(), pki.client(Optional.of(Profile.NODE)))
                    .command(erase, params);
            assertThat(asNode.statusCode()).isEqualTo(403);
            TestPki otherCa = new TestPki(Files.createDirectories(tmp.resolve("other")));
            assertThatThrownBy(() -> new AgentClient(agent.port(), otherCa.client(Optional.of(Profile.CONTROLLER)))
                    .command(erase, params)).as("another CA's controller fails the handshake").isInstanceOf(Exception.class);
            assertThat(Files.readAllBytes(victim)).containsExactly(7, 7, 7);
            assertThat(tmp.resolve("data").resolve(CommandExecutor.NODE_INFO)).doesNotExist();
            HttpResponse<String> controller = new AgentClient(agent.port(), pki.client(Optional.of(Profile.CONTROLLER)))
                    .get("/v1/status");
            assertThat(controller.statusCode()).isEqualTo(200);
            assertThat(AgentClient.tree(controller).get("identity").asText()).isEqualTo("fresh");
        }
    }

    @Test
    void afterInstallingItsCertificateTheAgentAnswersOnlyControllers() throws Exception {
        TestPki pki = new TestPki(tmp);
        try (Agent agent = Agent.start(config(pki))) {
            X509Certificate cert = enroll(pki, agent);
            assertThat(new AgentClient(agent.port(), pki.client(Optional.empty())).get("/v1/status").statusCode())
                    .isEqualTo(403);
            HttpResponse<String> asNode = new AgentClient(agent.port(), pki.client(Optional.of(Profile.NODE)))
                    .get("/v1/status");
            assertThat(asNode.statusCode()).isEqualTo(403);
            assertThat(asNode.headers().firstValue("Content-Type")).contains("application/problem+json");
            assertThat(AgentClient.tree(asNode).get("detail").asText()).contains("NODE");
            AgentClient controller = new AgentClient(agent.port(), pki.client(Optional.of(Profile.CONTROLLER)));
            HttpResponse<String> status = controller.get("/v1/status");
            assertThat(status.statusCode()).isEqualTo(200);
            assertThat(AgentClient.tree(status).get("identity").asText()).isEqualTo("enrolled");
            assertThat(controller.servedCertificate()).isEqualTo(cert);
            assertThat(Files.getPosixFilePermissions(tmp.resolve("data").resolve(IdentityStore.KEYSTORE)))
                    .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
            assertThat(Files.getPosixFilePermissions(tmp.resolve("data").resolve(IdentityStore.PASSPHRASE)))
                    .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
        }
    }

    @Test
    void aRestartedAgentComesBackEnrolled() {
        TestPki pki = new TestPki(tmp);
        X509Certificate cert;
        try (Agent agent = Agent.start(config(pki))) {
            cert = enroll(pki, agent);
        }
        try (Agent again = Agent.start(config(pki))) {
            assertThat(again.status().identity()).isEqualTo("enrolled");
            assertThat(new AgentClient(again.port(), pki.client(Optional.empty())).get("/v1/status").statusCode())
                    .isEqualTo(403);
            AgentClient controller = new AgentClient(again.port(), pki.client(Optional.of(Profile.CONTROLLER)));
            assertThat(controller.get("/v1/status").statusCode()).isEqualTo(200);
            assertThat(controller.servedCertificate()).isEqualTo(cert);
        }
    }

    @Test
    void installingTheSameCertificateAgainSucceedsAndAskingForACsrAgainKeepsThePendingKey() throws Exception {
        TestPki pki = new TestPki(tmp);
        try (Agent agent = Agent.start(config(pki))) {
            AgentClient conductor = new AgentClient(agent.port(), pki.client(Optional.of(Profile.CONTROLLER)));
            String first = conductor.run("identity.create_csr", Map.of()).at("/result/csr").asText();
            String again = conductor.run("identity.create_csr", Map.of()).at("/result/csr").asText();
            assertThat(pki.ca.parseCsr(again).publicKey()).as("the same pending key, so the CA can answer the same")
                    .isEqualTo(pki.ca.parseCsr(first).publicKey());
            IssuedCertificate issued = pki.ca.issue(new IssueRequest(Profile.NODE, "n1", List.of("n1"), List.of(),
                    pki.ca.parseCsr(first).publicKey()));
            Map<String, Object> install = Map.of("certificate", issued.pem(), "chain", List.of(pki.ca.rootPem()));
            assertThat(conductor.run("identity.install_certificate", install).get("status").asText()).isEqualTo("SUCCEEDED");
            AgentClient controller = new AgentClient(agent.port(), pki.client(Optional.of(Profile.CONTROLLER)));
            JsonNode repeat = controller.run("identity.install_certificate", install);
            assertThat(repeat.get("status").asText()).as("a lost answer's resend: " + repeat).isEqualTo("SUCCEEDED");
            assertThat(controller.servedCertificate()).isEqualTo(issued.certificate());
        }
    }

    @Test
    void aCertificateForAnotherKeyIsRefused() {
        TestPki pki = new TestPki(tmp);
        try (Agent agent = Agent.start(config(pki))) {
            AgentClient conductor = new AgentClient(agent.port(), pki.client(Optional.of(Profile.CONTROLLER)));
            conductor.run("identity.create_csr", Map.of());
            IssuedCertificate other = pki.ca.issue(new IssueRequest(Profile.NODE, "n1", List.of("n1"), List.of(),
                    Keys.generate().getPublic()));
            JsonNode done = conductor.run("identity.install_certificate", Map.of("certificate", other.pem()));
            assertThat(done.get("status").asText()).isEqualTo("FAILED");
            assertThat(done.get("error").asText()).contains("public key");
            assertThat(agent.status().identity()).isEqualTo("fresh");
        }
    }

    @Test
    void aControllerCertificateIsNotInstalledAsTheNodeIdentity() {
        TestPki pki = new TestPki(tmp);
        try (Agent agent = Agent.start(config(pki))) {
            AgentClient conductor = new AgentClient(agent.port(), pki.client(Optional.of(Profile.CONTROLLER)));
            String csr = conductor.run("identity.create_csr", Map.of()).at("/result/csr").asText();
            IssuedCertificate wrong = pki.ca.issue(new IssueRequest(Profile.CONTROLLER, "n1", List.of("n1"),
                    List.of(), pki.ca.parseCsr(csr).publicKey()));
            JsonNode done = conductor.run("identity.install_certificate", Map.of("certificate", wrong.pem()));
            assertThat(done.get("error").asText()).contains("not a node certificate");
        }
    }

    /** The conductor's enrollment: CSR from the agent, certificate from the CA, install, then wait for mTLS. */
    private static X509Certificate enroll(TestPki pki, Agent agent) {
        AgentClient conductor = new AgentClient(agent.port(), pki.client(Optional.of(Profile.CONTROLLER)));
        String csr = conductor.run("identity.create_csr", Map.of()).at("/result/csr").asText();
        var request = pki.ca.parseCsr(csr);
        assertThat(request.subjectCommonName()).isEqualTo("n1");
        assertThat(request.dnsNames()).containsExactly("n1");
        IssuedCertificate issued = pki.ca.issue(new IssueRequest(Profile.NODE, "n1", List.of("n1"), List.of(),
                request.publicKey()));
        HttpResponse<String> started = conductor.command("identity.install_certificate",
                Map.of("certificate", issued.pem(), "chain", List.of(pki.ca.rootPem())));
        assertThat(started.statusCode()).isEqualTo(202);
        String id = AgentClient.tree(started).get("id").asText();
        AgentClient controller = new AgentClient(agent.port(), pki.client(Optional.of(Profile.CONTROLLER)));
        JsonNode done = controller.await(id);
        assertThat(done.get("status").asText()).isEqualTo("SUCCEEDED");
        return Pem.certificate(issued.pem());
    }

    @Test
    void aPayloadFromAnotherControllerIsRefusedUntilTheDataDirectoryIsCleared() throws Exception {
        TestPki pki = new TestPki(tmp);
        try (Agent agent = Agent.start(config(pki))) {
            enroll(pki, agent);
        }
        TestPki other = new TestPki(PayloadTest.mkdir(tmp.resolve("other")));
        Path foreign = other.payloadFile(other.payloadFields("n1"));
        // Whoever can put a payload in front of an enrolled node must not be able to move it to their controller.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Agent.start(AgentConfig.of(tmp.resolve("data"),
                foreign).withListen("127.0.0.1:0"))).isInstanceOf(AgentException.class)
                .hasMessageContaining("another controller");
        // Moving a node is a local, deliberate act: a cleared data directory starts afresh, ignoring the old identity.
        try (var files = java.nio.file.Files.walk(tmp.resolve("data"))) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(f);
            }
        }
        try (Agent again = Agent.start(AgentConfig.of(tmp.resolve("data"), foreign).withListen("127.0.0.1:0"))) {
            assertThat(again.status().identity()).isEqualTo("fresh");
        }
    }
}
