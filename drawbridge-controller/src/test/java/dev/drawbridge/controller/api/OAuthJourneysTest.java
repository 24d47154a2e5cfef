package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

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
import dev.drawbridge.controller.config.ApiConfig;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The steps after: a restart of the controller (signing keys, clients and revocations come back from the store),
 * and an anonymous caller registering over and over (each attempt spends its address's budget).
 */
class OAuthJourneysTest {
    private static HTTPResponse send(HTTPRequest req, SSLContext tls) throws Exception {
        req.setSSLSocketFactory(tls.getSocketFactory());
        return req.send();
    }

    private static String token(RunningController c, SSLContext tls, ClientID id, ECKey key) throws Exception {
        URI endpoint = URI.create(c.controller.url() + "/oauth2/token");
        HTTPResponse res = send(new TokenRequest(endpoint, OAuthApiTest.assertion(id, endpoint, key),
                new ClientCredentialsGrant(), new Scope("nodes:read")).toHTTPRequest(), tls);
        assertThat(res.getStatusCode()).as(res.getBody()).isEqualTo(200);
        return ((AccessTokenResponse) TokenResponse.parse(res)).getTokens().getAccessToken().getValue();
    }

    @Test
    @DisplayName("after a restart, a token issued before still works, a revoked one stays refused, and the client"
            + " gets new tokens")
    void restart(@TempDir Path dir) throws Exception {
        SSLContext tls;
        ClientID id;
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k").generate();
        String kept;
        String revoked;
        String listen;
        try (RunningController c = RunningController.start(dir)) {
            listen = URI.create(c.controller.url()).getAuthority();
            tls = RunningController.trusting(Files.readString(dir.resolve("ca.pem")));
            ClientMetadata md = new ClientMetadata();
            md.setJWKSet(new JWKSet(key.toPublicJWK()));
            md.setScope(new Scope("nodes:read"));
            HTTPResponse reg = send(new ClientRegistrationRequest(URI.create(c.controller.url() + "/oauth2/register"),
                    md, null).toHTTPRequest(), tls);
            assertThat(reg.getStatusCode()).as(reg.getBody()).isEqualTo(201);
            id = ((ClientInformationResponse) ClientRegistrationResponse.parse(reg)).getClientInformation().getID();
            kept = token(c, tls, id, key);
            revoked = token(c, tls, id, key);
            assertThat(c.call("POST", "/oauth2/revoke", "application/x-www-form-urlencoded",
                    ("token=" + revoked).getBytes(StandardCharsets.UTF_8), "Authorization", "Bearer " + c.token)
                    .status()).isEqualTo(200);
        }
        // The same address: the issuer is the controller's URL, which tokens name.
        try (RunningController c = RunningController.start(dir, cfg -> cfg.withListen(listen))) {
            tls = RunningController.trusting(Files.readString(dir.resolve("ca.pem")));
            RunningController.Answer before = c.call("GET", "/v1/nodes", null, null, "Authorization", "Bearer " + kept);
            assertThat(before.status()).as(before.text())
                    .as("signed by the key kept sealed in the store").isEqualTo(200);
            assertThat(c.call("GET", "/v1/nodes", null, null, "Authorization", "Bearer " + revoked).status())
                    .isEqualTo(401);
            String fresh = token(c, tls, id, key);
            assertThat(c.call("GET", "/v1/nodes", null, null, "Authorization", "Bearer " + fresh).status())
                    .isEqualTo(200);
        }
    }

    @Test
    @DisplayName("registrations from one address are throttled once its per-minute budget is spent")
    void registrationFlood(@TempDir Path dir) throws Exception {
        try (RunningController c = RunningController.start(dir)) {
            int budget = ApiConfig.defaults().authFailuresPerMinute();
            int created = 0;
            int throttled = 0;
            for (int i = 0; i < budget + 5; i++) {
                RunningController.Answer a = c.call("POST", "/oauth2/register", "application/json",
                        "{\"jwks\":{\"keys\":[]}}".getBytes(StandardCharsets.UTF_8));
                if (a.status() == 429) {
                    throttled++;
                } else {
                    created++;
                }
            }
            assertThat(created).isEqualTo(budget);
            assertThat(throttled).isEqualTo(5);
        }
    }
}
