package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.oauth2.sdk.AccessTokenResponse;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenErrorResponse;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.client.ClientInformationResponse;
import com.nimbusds.oauth2.sdk.client.ClientMetadata;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationRequest;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationResponse;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationRequest;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationResponse;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationSuccessResponse;
import com.nimbusds.oauth2.sdk.device.DeviceCodeGrant;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device authorization grant (RFC 8628) with its verification page driven in headless Chromium through
 * playwright-core: a client that registered for the admin scope waits for approval; it starts the device flow,
 * its polls are told to wait, an operator signs in at /device, sees the request and its trust factors, and
 * approves it; the next poll gets a token. A second client is denied and disabled. scripts/test installs
 * Chromium and playwright-core; without them this test fails saying so.
 */
class DevicePageTest {
    private static final Path INTEROP = Path.of("..", "interop", "oauth-client").toAbsolutePath().normalize();

    private record Client(ClientID id, ECKey key) {}

    private static HTTPResponse send(HTTPRequest req, SSLContext tls) throws IOException {
        req.setSSLSocketFactory(tls.getSocketFactory());
        return req.send();
    }

    private static Client register(RunningController c, SSLContext tls, String name) throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID(name).generate();
        ClientMetadata md = new ClientMetadata();
        md.setName(name);
        md.setJWKSet(new JWKSet(key.toPublicJWK()));
        md.setScope(new Scope("admin"));
        md.setGrantTypes(Set.of(GrantType.CLIENT_CREDENTIALS, GrantType.DEVICE_CODE));
        md.setTokenEndpointAuthMethod(ClientAuthenticationMethod.PRIVATE_KEY_JWT);
        HTTPResponse res = send(new ClientRegistrationRequest(URI.create(c.controller.url() + "/oauth2/register"), md,
                null).toHTTPRequest(), tls);
        assertThat(res.getStatusCode()).as(res.getBody()).isEqualTo(201);
        var info = ((ClientInformationResponse) ClientRegistrationResponse.parse(res)).getClientInformation();
        assertThat(info.getMetadata().getCustomField("drawbridge_status")).isEqualTo("needs-approval");
        return new Client(info.getID(), key);
    }

    private static DeviceAuthorizationSuccessResponse start(RunningController c, SSLContext tls, Client client)
            throws Exception {
        URI token = URI.create(c.controller.url() + "/oauth2/token");
        DeviceAuthorizationResponse res = DeviceAuthorizationResponse.parse(send(new DeviceAuthorizationRequest(
                URI.create(c.controller.url() + "/oauth2/device_authorization"), OAuthApiTest.assertion(client.id(),
                token, client.key()), new Scope("admin"), null).toHTTPRequest(), tls));
        assertThat(res.indicatesSuccess()).isTrue();
        return res.toSuccessResponse();
    }

    private static HTTPResponse poll(RunningController c, SSLContext tls, Client client,
                                     DeviceAuthorizationSuccessResponse d) throws Exception {
        URI token = URI.create(c.controller.url() + "/oauth2/token");
        return send(new TokenRequest(token, OAuthApiTest.assertion(client.id(), token, client.key()),
                new DeviceCodeGrant(d.getDeviceCode())).toHTTPRequest(), tls);
    }

    private static String browse(URI uri, String token, Path shot, String decision) throws Exception {
        assertThat(Files.isDirectory(INTEROP.resolve("node_modules").resolve("playwright-core")))
                .as("playwright-core is not installed: run 'npm ci' in " + INTEROP + " (scripts/test does)").isTrue();
        assertThat(Files.isExecutable(Path.of("/usr/bin/chromium")))
                .as("Chromium is not installed: apt-get install chromium (scripts/test does)").isTrue();
        Process p = new ProcessBuilder("node", "device-page.mjs", uri.toString(), token, shot.toString(), decision)
                .directory(INTEROP.toFile()).redirectErrorStream(true).start();
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("the browser finished within 90 s").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    @DisplayName("a waiting client is approved by an operator on the /device page in Chromium, and then gets a token")
    void approveAndDeny(@TempDir Path dir) throws Exception {
        try (RunningController c = RunningController.start(dir)) {
            SSLContext tls = RunningController.trusting(Files.readString(dir.resolve("ca.pem")));
            URI tokenUri = URI.create(c.controller.url() + "/oauth2/token");
            Client waiting = register(c, tls, "chassis-bmc-2");
            HTTPResponse refused = send(new TokenRequest(tokenUri, OAuthApiTest.assertion(waiting.id(), tokenUri,
                    waiting.key()), new ClientCredentialsGrant(), null).toHTTPRequest(), tls);
            assertThat(TokenErrorResponse.parse(refused).getErrorObject().getDescription()).contains("approve");

            DeviceAuthorizationSuccessResponse d = start(c, tls, waiting);
            assertThat(d.getVerificationURI()).isEqualTo(URI.create(c.controller.url() + "/device"));
            HTTPResponse pending = poll(c, tls, waiting, d);
            assertThat(TokenErrorResponse.parse(pending).getErrorObject().getCode()).isEqualTo("authorization_pending");

            Path shot = Path.of("target", "device-page.png").toAbsolutePath();
            long before = System.nanoTime();
            String out = browse(d.getVerificationURIComplete(), c.token, shot, "approve");
            assertThat(out).contains("operator: admin", "code: " + d.getUserCode().getValue(), "answer: needs-approval",
                    "factor: operator | needs approval | the admin scope is only granted by an operator's approval",
                    "factor: network | vouches", "outcome: Approved: client chassis-bmc-2");
            assertThat(Files.size(shot)).isGreaterThan(10_000);

            // RFC 8628: polls no faster than the interval (5 s) since the last one.
            long waited = (System.nanoTime() - before) / 1_000_000;
            Thread.sleep(Math.max(0, 5_200 - waited));
            HTTPResponse granted = poll(c, tls, waiting, d);
            assertThat(granted.getStatusCode()).as(granted.getBody()).isEqualTo(200);
            String at = ((AccessTokenResponse) TokenResponse.parse(granted)).getTokens().getAccessToken().getValue();
            assertThat(c.call("GET", "/v1/oauth/clients", null, null, "Authorization", "Bearer " + at).status())
                    .isEqualTo(200);
            assertThat(c.get("/v1/oauth/clients").text()).contains(waiting.id().getValue());

            Client other = register(c, tls, "unknown-bmc");
            DeviceAuthorizationSuccessResponse d2 = start(c, tls, other);
            String denied = browse(d2.getVerificationURIComplete(), c.token, dir.resolve("deny.png"), "deny");
            assertThat(denied).contains("outcome: Denied: client unknown-bmc");
            HTTPResponse answer = poll(c, tls, other, d2);
            assertThat(TokenErrorResponse.parse(answer).getErrorObject().getCode()).isEqualTo("access_denied");
            RunningController.Answer list = c.get("/v1/oauth/clients");
            assertThat(list.json().path("items").toString()).contains("\"status\":\"disabled\"");
            assertThat(c.get("/v1/events?limit=1000").text()).contains("oauth.device");
        }
    }
}
