package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.Profile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tls_client_auth from curl, a client nobody here wrote: a node's certificate registers a client, gets a
 * certificate-bound token, and the token works with that certificate and is refused without it.
 */
class CurlTlsClientAuthTest {
    private static String curl(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--cacert", dir.resolve("ca.pem").toString(),
                "-w", "\n%{http_code}"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("curl is not installed (Debian: curl)", e);
        }
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static int status(String out) {
        return Integer.parseInt(out.substring(out.lastIndexOf('\n') + 1).strip());
    }

    private static JsonNode body(String out) throws Exception {
        return Json.MAPPER.readTree(out.substring(0, out.lastIndexOf('\n')));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    @Test
    @DisplayName("curl registers with a node certificate, gets a bound token, and the token fails without the certificate")
    void curlWithAClientCertificate(@TempDir Path dir) throws Exception {
        try (RunningController c = RunningController.start(dir)) {
            c.createNode("node-c");
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
            kpg.initialize(256);
            KeyPair kp = kpg.generateKeyPair();
            X509Certificate cert = c.controller.ca().issue(new IssueRequest(Profile.NODE, "node-c", List.of(),
                    List.of(), kp.getPublic())).certificate();
            Path certFile = Files.writeString(dir.resolve("node.pem"), pem("CERTIFICATE", cert.getEncoded()));
            Path keyFile = Files.writeString(dir.resolve("node.key"), pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
            String url = c.controller.url();

            String reg = curl(dir, "--cert", certFile.toString(), "--key", keyFile.toString(), "-H",
                    "Content-Type: application/json", "-d", "{\"client_name\":\"node-c agent\",\"scope\":\"nodes:read\","
                            + "\"token_endpoint_auth_method\":\"tls_client_auth\",\"tls_client_auth_subject_dn\":\""
                            + cert.getSubjectX500Principal().getName() + "\"}", url + "/oauth2/register");
            assertThat(status(reg)).as(reg).isEqualTo(201);
            String clientId = body(reg).path("client_id").asText();
            assertThat(body(reg).path("drawbridge_status").asText()).isEqualTo("enabled");

            String tok = curl(dir, "--cert", certFile.toString(), "--key", keyFile.toString(), "-d",
                    "grant_type=client_credentials", "-d", "client_id=" + clientId, url + "/oauth2/token");
            assertThat(status(tok)).as(tok).isEqualTo(200);
            String at = body(tok).path("access_token").asText();

            String with = curl(dir, "--cert", certFile.toString(), "--key", keyFile.toString(), "-H",
                    "Authorization: Bearer " + at, url + "/v1/nodes");
            assertThat(status(with)).as(with).isEqualTo(200);
            String without = curl(dir, "-H", "Authorization: Bearer " + at, url + "/v1/nodes");
            assertThat(status(without)).as(without).isEqualTo(401);
            assertThat(without).contains("bound to a TLS client certificate");

            // Without the certificate, tls_client_auth itself is refused, and nothing is issued.
            String noCert = curl(dir, "-d", "grant_type=client_credentials", "-d", "client_id=" + clientId,
                    url + "/oauth2/token");
            assertThat(status(noCert)).isEqualTo(401);
            assertThat(body(noCert).path("error").asText()).isEqualTo("invalid_client");
        }
    }
}
