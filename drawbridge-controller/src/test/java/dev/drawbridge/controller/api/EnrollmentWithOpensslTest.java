package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.testkit.OpenSsl;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Enrollment and revocation checked by a real peer: the openssl CLI. */
class EnrollmentWithOpensslTest {
    @TempDir static Path dir;
    static RunningController c;

    @BeforeAll
    static void start() throws Exception {
        c = RunningController.start(dir.resolve("data"));
    }

    @AfterAll
    static void stop() {
        c.close();
    }

    private JsonNode enrolled(String name) {
        c.createNode(name);
        var a = c.enroll(c.ticket(name, null), Csrs.ec(dir, name));
        assertThat(a.status()).as(a.text()).isEqualTo(201);
        return a.json();
    }

    @Test
    @DisplayName("a key and CSR made by openssl are enrolled, and openssl verifies the certificate against ca.pem")
    void opensslVerifiesEnrolledCertificate() {
        JsonNode granted = enrolled("node-verify");
        Path cert = Csrs.write(dir, "verify.pem", granted.path("certificate").asText());
        Path chain = Csrs.write(dir, "chain.pem", granted.path("chain").get(0).asText());
        assertThat(chain).hasSameTextualContentAs(c.dataDir.resolve("ca.pem"));
        var verify = OpenSsl.run(dir, "verify", "-CAfile", c.dataDir.resolve("ca.pem").toString(), cert.toString());
        assertThat(verify.exitCode()).as(verify.stderr()).isZero();
        assertThat(verify.stdout()).contains(": OK");
    }

    @Test
    @DisplayName("the certificate names only the inventory identity and is for TLS server and client")
    void certificateCarriesInventoryIdentity() {
        JsonNode granted = enrolled("node-ident");
        Path cert = Csrs.write(dir, "ident.pem", granted.path("certificate").asText());
        String text = OpenSsl.runOk(dir, "x509", "-in", cert.toString(), "-noout", "-text").stdout();
        assertThat(text).contains("Subject: CN = node-ident").contains("DNS:node-ident")
                .contains("TLS Web Server Authentication").contains("TLS Web Client Authentication")
                .contains("CA:FALSE");
    }

    @Test
    @DisplayName("after revocation openssl ocsp says revoked and the CRL lists the serial, at once")
    void revocationShowsInOcspAndCrl() throws Exception {
        JsonNode granted = enrolled("node-revoke");
        Path cert = Csrs.write(dir, "revoke.pem", granted.path("certificate").asText());
        String ca = c.dataDir.resolve("ca.pem").toString();
        assertThat(ocsp(cert, ca)).contains(": good");

        var revoke = c.json("POST", "/v1/certificates/" + granted.path("serial").asText() + "/revoke",
                Map.of("reason", "key-compromise"));
        assertThat(revoke.status()).as(revoke.text()).isEqualTo(200);

        assertThat(ocsp(cert, ca)).contains(": revoked").contains("keyCompromise");
        Path crl = dir.resolve("crl.der");
        Files.write(crl, c.call("GET", "/v1/ca/crl", null, null).body());
        var crlText = OpenSsl.run(dir, "crl", "-inform", "DER", "-in", crl.toString(), "-CAfile", ca, "-noout", "-text");
        assertThat(crlText.stderr()).contains("verify OK");
        assertThat(crlText.stdout().toUpperCase()).contains(granted.path("serial").asText().toUpperCase());
        Path crlPem = dir.resolve("crl.pem");
        OpenSsl.runOk(dir, "crl", "-inform", "DER", "-in", crl.toString(), "-out", crlPem.toString());
        var check = OpenSsl.run(dir, "verify", "-crl_check", "-CAfile", ca, "-CRLfile", crlPem.toString(), cert.toString());
        assertThat(check.exitCode()).isNotZero();
        assertThat(check.stdout() + check.stderr()).contains("certificate revoked");
    }

    @Test
    @DisplayName("the OCSP GET form (RFC 6960 A.1) answers like POST, and garbage in the path is a 400 problem")
    void ocspGetForm() throws Exception {
        JsonNode granted = enrolled("node-ocsp-get");
        Path cert = Csrs.write(dir, "get.pem", granted.path("certificate").asText());
        String ca = c.dataDir.resolve("ca.pem").toString();
        Path req = dir.resolve("get-req.der");
        OpenSsl.runOk(dir, "ocsp", "-issuer", ca, "-cert", cert.toString(), "-reqout", req.toString(), "-no_nonce");
        String encoded = URLEncoder.encode(Base64.getEncoder().encodeToString(Files.readAllBytes(req)),
                StandardCharsets.US_ASCII);
        var answer = c.call("GET", "/v1/ca/ocsp/" + encoded, null, null);
        assertThat(answer.status()).isEqualTo(200);
        Path resp = dir.resolve("get-resp.der");
        Files.write(resp, answer.body());
        var r = OpenSsl.run(dir, "ocsp", "-respin", resp.toString(), "-issuer", ca, "-CAfile", ca, "-cert",
                cert.toString(), "-no_nonce");
        assertThat(r.stderr()).contains("Response verify OK");
        assertThat(r.stdout()).contains(": good");
        var bad = c.call("GET", "/v1/ca/ocsp/not*base64!", null, null);
        assertThat(bad.status()).isEqualTo(400);
    }

    @Test
    @DisplayName("revoking a node revokes all of its certificates")
    void revokeNodeRevokesAll() {
        JsonNode first = enrolled("node-many");
        var second = c.enroll(c.ticket("node-many", null), Csrs.ec(dir, "node-many"));
        assertThat(second.status()).isEqualTo(201);
        var a = c.json("POST", "/v1/nodes/node-many/certificates/revoke", Map.of());
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        assertThat(a.json().path("revoked")).hasSize(2);
        var certs = c.get("/v1/nodes/node-many/certificates").json().path("items");
        certs.forEach(cert -> assertThat(cert.path("status").asText()).isEqualTo("revoked"));
        assertThat(c.get("/v1/certificates/" + first.path("serial").asText()).json().path("status").asText())
                .isEqualTo("revoked");
    }

    private String ocsp(Path cert, String ca) throws Exception {
        Path req = dir.resolve("req-" + System.nanoTime() + ".der");
        Path resp = dir.resolve("resp-" + System.nanoTime() + ".der");
        OpenSsl.runOk(dir, "ocsp", "-issuer", ca, "-cert", cert.toString(), "-reqout", req.toString());
        var answer = c.call("POST", "/v1/ca/ocsp", "application/ocsp-request", Files.readAllBytes(req));
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.header("Content-Type")).isEqualTo("application/ocsp-response");
        Files.write(resp, answer.body());
        var r = OpenSsl.run(dir, "ocsp", "-respin", resp.toString(), "-issuer", ca, "-CAfile", ca, "-cert",
                cert.toString(), "-no_nonce", "-resp_text");
        assertThat(r.stderr()).contains("Response verify OK");
        return r.stdout();
    }
}
