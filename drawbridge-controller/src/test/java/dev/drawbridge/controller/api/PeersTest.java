package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.oauth2.sdk.AccessTokenResponse;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.client.ClientInformationResponse;
import com.nimbusds.oauth2.sdk.client.ClientMetadata;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationRequest;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationResponse;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two controllers, each with its own CA: one registers with the other by DCR, obtains certificate-bound tokens by
 * client credentials and calls its peer API over mutual TLS (a token without its certificate is refused there); when the other side disables it, the next call is refused; re-approved, it
 * works again; removed, its client at the peer is gone.
 */
class PeersTest {
    @Test
    @DisplayName("a controller registers with a peer, calls it, is refused once disabled there, and removes it")
    void peering(@TempDir Path dir) throws Exception {
        // The test clocks stand still: b starts first, so a's assertions are not older than b's start (during its
        // first minutes a server takes only assertions issued after it started).
        try (RunningController b = RunningController.start(dir.resolve("b"));
             RunningController a = RunningController.start(dir.resolve("a"))) {
            String bUrl = b.controller.url();
            RunningController.Answer added = a.json("POST", "/v1/peers", Map.of("url", bUrl, "ca",
                    Files.readString(dir.resolve("b").resolve("ca.pem"))));
            assertThat(added.status()).as(added.text()).isEqualTo(201);
            JsonNode peer = added.json();
            assertThat(peer.path("last_status").asText()).isEqualTo("ok");
            String id = peer.path("id").asText();
            String clientAtB = peer.path("client_id").asText();
            assertThat(peer.path("peer_id").asText()).startsWith("ctl-");

            RunningController.Answer call = a.json("POST", "/v1/peers/" + id + "/call", Map.of());
            assertThat(call.status()).as(call.text()).isEqualTo(200);
            JsonNode identity = call.json().path("answers").path("identity");
            assertThat(identity.path("role").asText()).isEqualTo("controller");
            assertThat(identity.path("you").asText()).isEqualTo(clientAtB);
            assertThat(identity.path("versions").toString()).contains("1");
            assertThat(call.json().path("answers").path("health").path("status").asText()).isEqualTo("ok");

            assertThat(b.json("POST", "/v1/oauth/clients/" + clientAtB + "/disable", Map.of()).status()).isEqualTo(200);
            RunningController.Answer refused = a.json("POST", "/v1/peers/" + id + "/call", Map.of());
            assertThat(refused.status()).isEqualTo(502);
            assertThat(refused.text()).contains("invalid_client");
            assertThat(a.get("/v1/peers").json().path("items").path(0).path("last_status").asText())
                    .isEqualTo("refused");

            assertThat(b.json("POST", "/v1/oauth/clients/" + clientAtB + "/approve", Map.of()).status()).isEqualTo(200);
            // Tokens from the second of the disabling stay refused; the next second's work.
            b.clock.advance(Duration.ofSeconds(2));
            assertThat(a.json("POST", "/v1/peers/" + id + "/call", Map.of()).status()).isEqualTo(200);

            RunningController.Answer removed = a.call("DELETE", "/v1/peers/" + id, null, null, "Authorization",
                    "Bearer " + a.token);
            assertThat(removed.status()).as(removed.text()).isEqualTo(200);
            assertThat(removed.json().path("problem").isNull()).isTrue();
            assertThat(a.get("/v1/peers").json().path("items")).isEmpty();
            assertThat(b.get("/v1/oauth/clients").text()).doesNotContain(clientAtB);

            // The peer API takes only certificate-bound tokens: a peer-scoped client that connects without its
            // certificate gets a token that the routes refuse.
            SSLContext plain = RunningController.trusting(Files.readString(dir.resolve("b").resolve("ca.pem")));
            ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k").generate();
            ClientMetadata md = new ClientMetadata();
            md.setJWKSet(new JWKSet(key.toPublicJWK()));
            md.setScope(new Scope("peer"));
            HTTPRequest register = new ClientRegistrationRequest(URI.create(bUrl + "/oauth2/register"), md, null)
                    .toHTTPRequest();
            register.setSSLSocketFactory(plain.getSocketFactory());
            ClientID unbound = ((ClientInformationResponse) ClientRegistrationResponse.parse(register.send()))
                    .getClientInformation().getID();
            URI tokenEndpoint = URI.create(bUrl + "/oauth2/token");
            HTTPRequest tokenRequest = new TokenRequest(tokenEndpoint, OAuthApiTest.assertion(unbound, tokenEndpoint,
                    key), new ClientCredentialsGrant(), new Scope("peer")).toHTTPRequest();
            tokenRequest.setSSLSocketFactory(plain.getSocketFactory());
            String plainToken = ((AccessTokenResponse) TokenResponse.parse(tokenRequest.send())).getTokens()
                    .getAccessToken().getValue();
            RunningController.Answer noMtls = b.call("GET", "/v1/peer/identity", null, null, "Authorization",
                    "Bearer " + plainToken);
            assertThat(noMtls.status()).isEqualTo(403);
            assertThat(noMtls.text()).contains("mutual-tls-required");

            // A client that registered for certificate-bound tokens and asks without a certificate gets none.
            md.setTLSClientCertificateBoundAccessTokens(true);
            register = new ClientRegistrationRequest(URI.create(bUrl + "/oauth2/register"), md, null).toHTTPRequest();
            register.setSSLSocketFactory(plain.getSocketFactory());
            ClientID wantsBinding = ((ClientInformationResponse) ClientRegistrationResponse.parse(register.send()))
                    .getClientInformation().getID();
            tokenRequest = new TokenRequest(tokenEndpoint, OAuthApiTest.assertion(wantsBinding, tokenEndpoint, key),
                    new ClientCredentialsGrant(), new Scope("peer")).toHTTPRequest();
            tokenRequest.setSSLSocketFactory(plain.getSocketFactory());
            HTTPResponse noCertificate = tokenRequest.send();
            assertThat(noCertificate.getStatusCode()).isEqualTo(400);
            assertThat(noCertificate.getBody()).contains("invalid_request").contains("certificate-bound");

            RunningController.Answer bad = a.json("POST", "/v1/peers", Map.of("url", "http://nope", "ca", "x"));
            assertThat(bad.status()).isEqualTo(400);
            assertThat(a.json("POST", "/v1/peers/no-such/call", Map.of()).status()).isEqualTo(404);
        }
    }
}
