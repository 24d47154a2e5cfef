package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.drawbridge.pki.CaKeyStores;
import dev.drawbridge.pki.CaSettings;
import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.pki.TlsContexts;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The version-1 promise, from the wire up: a client written against docs/protocol.md's minimum, by hand (no
 * OAuth library), sending only the fields version 1 requires plus fields a later version might add, registers,
 * gets a token, calls the peer API, and reads only the fields it knows. Unknown fields are ignored, never an error.
 * Version 1's minimum includes mutual TLS: the peer connects with a certificate from its own CA, one this
 * controller has never seen, and asks for certificate-bound tokens.
 */
class WireCompatibilityTest {
    private static byte[] form(String... pairs) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < pairs.length; i += 2) {
            b.append(b.isEmpty() ? "" : "&").append(pairs[i]).append('=')
                    .append(URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("a hand-written minimum v1 peer with unknown future fields registers, gets a token and calls")
    void minimumPeerAgainstTheNewestServer(@TempDir Path dir) throws Exception {
        try (RunningController c = RunningController.start(dir)) {
            ECKey key = new ECKeyGenerator(Curve.P_256).keyID("v1").generate();
            CertificateAuthority own = CertificateAuthority.open(CaKeyStores.pkcs12(dir.resolve("peer-ca.p12"),
                    "pw".toCharArray()), CaSettings.defaults());
            X509Certificate cert = own.issue(new IssueRequest(Profile.CONTROLLER, "old-peer", List.of(), List.of(),
                    key.toPublicKey())).certificate();
            SSLContext tls = TlsContexts.mutual(List.of(c.controller.ca().root()), key.toPrivateKey(),
                    List.of(cert, own.root()));
            // Only jwks, scope and the bound-token flag, plus fields from a future version.
            String registration = "{\"jwks\":{\"keys\":[" + key.toPublicJWK().toJSONString() + "]},\"scope\":\"peer\","
                    + "\"tls_client_certificate_bound_access_tokens\":true,"
                    + "\"x_drawbridge_v2_capabilities\":[\"fancy\"],\"future_object\":{\"a\":1}}";
            RunningController.Answer reg = c.callOver(tls, "POST", "/oauth2/register", "application/json",
                    registration.getBytes(StandardCharsets.UTF_8));
            assertThat(reg.status()).as(reg.text()).isEqualTo(201);
            String clientId = reg.json().path("client_id").asText();
            assertThat(reg.json().path("token_endpoint_auth_method").asText()).isEqualTo("private_key_jwt");

            String tokenUrl = c.controller.url() + "/oauth2/token";
            Instant now = c.clock.instant();
            SignedJWT assertion = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("v1").build(),
                    new JWTClaimsSet.Builder().issuer(clientId).subject(clientId).audience(tokenUrl)
                            .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(60)))
                            .jwtID(UUID.randomUUID().toString()).claim("x_future_claim", "ignored").build());
            assertion.sign(new ECDSASigner(key));
            RunningController.Answer tok = c.callOver(tls, "POST", "/oauth2/token", "application/x-www-form-urlencoded",
                    form("grant_type", "client_credentials", "client_assertion_type",
                            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion",
                            assertion.serialize(), "x_future_param", "1"));
            assertThat(tok.status()).as(tok.text()).isEqualTo(200);
            String at = tok.json().path("access_token").asText();

            RunningController.Answer identity = c.callOver(tls, "GET", "/v1/peer/identity", null, null,
                    "Authorization", "Bearer " + at);
            assertThat(identity.status()).as(identity.text()).isEqualTo(200);
            JsonNode id = identity.json();
            assertThat(id.path("v").asInt()).isEqualTo(1);
            List<Integer> versions = List.of(id.path("versions").path(0).asInt());
            assertThat(versions).contains(1);
            assertThat(id.path("id").asText()).startsWith("ctl-");
            assertThat(id.path("you").asText()).isEqualTo(clientId);
        }
    }
}
