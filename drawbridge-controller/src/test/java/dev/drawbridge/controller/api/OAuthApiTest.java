package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.AccessTokenResponse;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenErrorResponse;
import com.nimbusds.oauth2.sdk.TokenIntrospectionRequest;
import com.nimbusds.oauth2.sdk.TokenIntrospectionResponse;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.TokenRevocationRequest;
import com.nimbusds.oauth2.sdk.as.AuthorizationServerMetadata;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.auth.PKITLSClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.JWTAuthenticationClaimsSet;
import com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.id.JWTID;
import com.nimbusds.oauth2.sdk.client.ClientInformation;
import com.nimbusds.oauth2.sdk.client.ClientInformationResponse;
import com.nimbusds.oauth2.sdk.client.ClientMetadata;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationRequest;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationResponse;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.Profile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The authorization server over the controller's HTTPS listener, driven by the Nimbus SDK's client side:
 * discovery, registration, tokens by private_key_jwt and by tls_client_auth (certificate-bound), the API used with
 * them, introspection, revocation, and a fence that disables a node's client.
 */
class OAuthApiTest {
    @TempDir
    Path dir;
    RunningController c;
    SSLContext trusting;

    @BeforeEach
    void start() throws Exception {
        c = RunningController.start(dir);
        trusting = RunningController.trusting(Files.readString(dir.resolve("ca.pem")));
    }

    @AfterEach
    void stop() {
        c.close();
    }

    private HTTPResponse send(HTTPRequest req, SSLContext tls) throws Exception {
        req.setSSLSocketFactory(tls.getSocketFactory());
        return req.send();
    }

    private AuthorizationServerMetadata discover() throws Exception {
        HTTPRequest req = new HTTPRequest(HTTPRequest.Method.GET, URI.create(c.controller.url()
                + "/.well-known/oauth-authorization-server"));
        HTTPResponse res = send(req, trusting);
        assertThat(res.getStatusCode()).isEqualTo(200);
        AuthorizationServerMetadata md = AuthorizationServerMetadata.parse(res.getBodyAsJSONObject());
        assertThat(md.getIssuer()).isEqualTo(new Issuer(c.controller.url()));
        return md;
    }

    /** A client assertion as RFC 7523 describes it, with iat (a freshly started server needs it), valid 60 s. */
    static PrivateKeyJWT assertion(ClientID id, URI audience, ECKey key) throws Exception {
        Instant now = Instant.now();
        return new PrivateKeyJWT(new JWTAuthenticationClaimsSet(id, List.of(new Audience(audience)),
                Date.from(now.plusSeconds(60)), null, Date.from(now), new JWTID()), JWSAlgorithm.ES256,
                key.toECPrivateKey(), key.getKeyID(), null);
    }

    private int api(String path, String token, SSLContext tls) throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1).build();
        return http.send(HttpRequest.newBuilder(URI.create(c.controller.url() + path))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    @Test
    @DisplayName("discover, register with jwks, get a token by private_key_jwt, use it, introspect, revoke")
    void privateKeyJwtJourney() throws Exception {
        AuthorizationServerMetadata md = discover();
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("bmc-key").generate();
        ClientMetadata meta = new ClientMetadata();
        meta.setName("chassis-bmc-1");
        meta.setJWKSet(new JWKSet(key.toPublicJWK()));
        meta.setScope(new Scope("peer", "nodes:read"));
        meta.setGrantTypes(Set.of(GrantType.CLIENT_CREDENTIALS));
        meta.setTokenEndpointAuthMethod(ClientAuthenticationMethod.PRIVATE_KEY_JWT);
        HTTPResponse reg = send(new ClientRegistrationRequest(md.getRegistrationEndpointURI(), meta, null)
                .toHTTPRequest(), trusting);
        assertThat(reg.getStatusCode()).as(reg.getBody()).isEqualTo(201);
        ClientInformation info = ((ClientInformationResponse) ClientRegistrationResponse.parse(reg))
                .getClientInformation();
        // From loopback, which the default policy trusts: enabled at once.
        assertThat(info.getMetadata().getCustomField("drawbridge_status")).isEqualTo("enabled");

        TokenRequest tr = new TokenRequest(md.getTokenEndpointURI(), assertion(info.getID(), md.getTokenEndpointURI(), key),
                new ClientCredentialsGrant(), new Scope("nodes:read"));
        HTTPResponse issued = send(tr.toHTTPRequest(), trusting);
        assertThat(issued.getStatusCode()).as(issued.getBody()).isEqualTo(200);
        TokenResponse tokens = TokenResponse.parse(issued);
        String at = ((AccessTokenResponse) tokens).getTokens().getAccessToken().getValue();
        assertThat(SignedJWT.parse(at).getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);

        assertThat(api("/v1/nodes", at, trusting)).isEqualTo(200);
        assertThat(api("/v1/events", at, trusting)).isEqualTo(403);

        TokenIntrospectionResponse intro = TokenIntrospectionResponse.parse(send(new TokenIntrospectionRequest(
                md.getIntrospectionEndpointURI(), assertion(info.getID(), md.getTokenEndpointURI(), key), new BearerAccessToken(at))
                .toHTTPRequest(), trusting));
        assertThat(intro.toSuccessResponse().isActive()).isTrue();
        assertThat(intro.toSuccessResponse().getScope()).isEqualTo(new Scope("nodes:read"));

        HTTPResponse revoked = send(new TokenRevocationRequest(md.getRevocationEndpointURI(), assertion(info.getID(), md.getTokenEndpointURI(), key), new BearerAccessToken(at)).toHTTPRequest(), trusting);
        assertThat(revoked.getStatusCode()).isEqualTo(200);
        assertThat(api("/v1/nodes", at, trusting)).isEqualTo(401);

        // The request that got the first token, sent again, replays its assertion.
        HTTPRequest replay = tr.toHTTPRequest();
        HTTPRequest again = new HTTPRequest(HTTPRequest.Method.POST, md.getTokenEndpointURI());
        again.setEntityContentType(replay.getEntityContentType());
        again.setBody(replay.getBody());
        HTTPResponse replayed = send(again, trusting);
        assertThat(replayed.getStatusCode()).isEqualTo(401);
        assertThat(TokenErrorResponse.parse(replayed).getErrorObject().getCode()).isEqualTo("invalid_client");
    }

    @Test
    @DisplayName("tls_client_auth with a node certificate: the token is bound to it, refused without it, and a fence"
            + " of the node disables the client")
    void certificateBoundTokenAndFence() throws Exception {
        String nodeId = c.createNode("node-7");
        var kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(256);
        var kp = kpg.generateKeyPair();
        var cert = c.controller.ca().issue(new IssueRequest(Profile.NODE, "node-7", List.of(), List.of(),
                kp.getPublic()));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("c", kp.getPrivate(), new char[0], new Certificate[] {cert.certificate(), c.controller.ca()
                .root()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        KeyStore roots = KeyStore.getInstance("PKCS12");
        roots.load(null, null);
        roots.setCertificateEntry("root", c.controller.ca().root());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(roots);
        SSLContext mtls = SSLContext.getInstance("TLS");
        mtls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);

        AuthorizationServerMetadata md = discover();
        ClientMetadata meta = new ClientMetadata();
        meta.setName("node-7-agent");
        meta.setScope(new Scope("nodes:read"));
        meta.setTokenEndpointAuthMethod(ClientAuthenticationMethod.TLS_CLIENT_AUTH);
        meta.setTLSClientAuthSubjectDN(cert.certificate().getSubjectX500Principal().getName());
        HTTPResponse reg = send(new ClientRegistrationRequest(md.getRegistrationEndpointURI(), meta, null)
                .toHTTPRequest(), mtls);
        assertThat(reg.getStatusCode()).as(reg.getBody()).isEqualTo(201);
        ClientID id = ((ClientInformationResponse) ClientRegistrationResponse.parse(reg)).getClientInformation()
                .getID();
        RunningController.Answer listed = c.get("/v1/oauth/clients");
        assertThat(listed.text()).contains(id.getValue()).contains(nodeId).contains("issued by our CA for node node-7");

        TokenRequest tr = new TokenRequest(md.getTokenEndpointURI(), new PKITLSClientAuthentication(id,
                mtls.getSocketFactory()), new ClientCredentialsGrant(), null);
        HTTPResponse res = send(tr.toHTTPRequest(), mtls);
        assertThat(res.getStatusCode()).as(res.getBody()).isEqualTo(200);
        String at = ((AccessTokenResponse) TokenResponse.parse(res)).getTokens().getAccessToken().getValue();
        assertThat(SignedJWT.parse(at).getJWTClaimsSet().getJSONObjectClaim("cnf")).containsKey("x5t#S256");

        assertThat(api("/v1/nodes", at, mtls)).isEqualTo(200);
        assertThat(api("/v1/nodes", at, trusting)).as("bound token without its certificate").isEqualTo(401);

        RunningController.Answer fence = c.json("POST", "/v1/nodes/node-7/fence", Map.of("reason", "test"));
        assertThat(fence.status()).as(fence.text()).isIn(200, 201, 202);
        RunningController.Answer fences = c.get("/v1/nodes/node-7/fences");
        assertThat(fences.text()).contains("revoke-oauth").contains(id.getValue());
        assertThat(api("/v1/nodes", at, mtls)).as("after the fence").isEqualTo(401);
        HTTPResponse refused = send(tr.toHTTPRequest(), mtls);
        assertThat(TokenErrorResponse.parse(refused).getErrorObject().getCode()).isEqualTo("invalid_client");
    }
}
