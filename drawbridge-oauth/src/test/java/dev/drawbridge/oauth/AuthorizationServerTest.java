package dev.drawbridge.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import org.assertj.core.api.InstanceOfAssertFactories;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.AccessTokenResponse;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.AuthorizationGrant;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenErrorResponse;
import com.nimbusds.oauth2.sdk.TokenIntrospectionRequest;
import com.nimbusds.oauth2.sdk.TokenIntrospectionResponse;
import com.nimbusds.oauth2.sdk.TokenIntrospectionSuccessResponse;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.TokenRevocationRequest;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.auth.JWTAuthenticationClaimsSet;
import com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT;
import com.nimbusds.oauth2.sdk.client.ClientDeleteRequest;
import com.nimbusds.oauth2.sdk.client.ClientInformationResponse;
import com.nimbusds.oauth2.sdk.client.ClientMetadata;
import com.nimbusds.oauth2.sdk.client.ClientReadRequest;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationErrorResponse;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationRequest;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationResponse;
import com.nimbusds.common.contenttype.ContentType;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.JWTID;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.oauth2.sdk.util.JSONObjectUtils;
import dev.drawbridge.testkit.TestClock;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.minidev.json.JSONObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The authorization server alone, driven with the Nimbus SDK's client-side requests: registration, tokens by
 * private_key_jwt, the refusals RFC 6749 names (each changing nothing), introspection, revocation, a fence's
 * disabling, and signing-key rotation.
 */
class AuthorizationServerTest {
    private static final URI ISSUER = URI.create("https://ctl.example:8443");
    private static final URI TOKEN = URI.create(ISSUER + Endpoints.TOKEN);
    private final TestClock clock = TestClock.atSystemTime();
    private final MemoryOAuthStore store = new MemoryOAuthStore();
    private final List<String> audit = new ArrayList<>();
    private TrustDecision.Answer answer = TrustDecision.Answer.TRUSTED;
    private ECKey vendor;
    private AuthorizationServer server;
    private Peer peer;

    @BeforeEach
    void start() throws Exception {
        vendor = new ECKeyGenerator(Curve.P_256).keyID("vendor-1").generate();
        VendorKeys vendors = new VendorKeys(Map.of("acme", new JWKSet(vendor.toPublicJWK())), clock);
        RegistrationPolicy policy = new RegistrationPolicy() {
            @Override
            public TrustDecision judge(Facts facts) {
                return new TrustDecision(answer, List.of(new TrustDecision.Factor("operator", answer.wire(),
                        "test policy")), Optional.of("node-1"));
            }

            @Override
            public VendorKeys vendors() {
                return vendors;
            }
        };
        server = new AuthorizationServer(OAuthSettings.defaults(ISSUER), store, store, policy,
                (kind, subject, outcome, detail) -> audit.add(kind + " " + outcome), clock);
        peer = new Peer(InetAddress.getByName("fd00::10"), List.of());
    }

    private record Registered(String clientId, ECKey key, BearerAccessToken registrationToken) {}

    private Registered register(String scope) throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        ClientMetadata md = new ClientMetadata();
        md.setName("bmc-a");
        md.setJWKSet(new JWKSet(key.toPublicJWK()));
        md.setScope(Scope.parse(scope));
        md.setGrantTypes(Set.of(GrantType.CLIENT_CREDENTIALS));
        md.setTokenEndpointAuthMethod(ClientAuthenticationMethod.PRIVATE_KEY_JWT);
        HTTPResponse res = server.register(new ClientRegistrationRequest(URI.create(ISSUER + Endpoints.REGISTER), md,
                null).toHTTPRequest(), peer);
        assertThat(res.getStatusCode()).as(res.getBody()).isEqualTo(201);
        ClientInformationResponse info = (ClientInformationResponse) ClientRegistrationResponse.parse(res);
        return new Registered(info.getClientInformation().getID().getValue(), key,
                info.getClientInformation().getRegistrationAccessToken());
    }

    private PrivateKeyJWT assertion(Registered c, URI audience, Instant exp, String jti) throws Exception {
        Instant now = clock.instant();
        return new PrivateKeyJWT(new JWTAuthenticationClaimsSet(new ClientID(c.clientId()),
                List.of(new Audience(audience)), Date.from(exp), null, Date.from(now), new JWTID(jti)),
                JWSAlgorithm.ES256, c.key().toECPrivateKey(), c.key().getKeyID(), null);
    }

    private HTTPResponse token(ClientAuthentication auth, AuthorizationGrant grant, Scope scope) {
        return server.token(new TokenRequest(TOKEN, auth, grant, scope).toHTTPRequest(), peer);
    }

    private String accessToken(Registered c, String jti) throws Exception {
        HTTPResponse res = token(assertion(c, TOKEN, clock.instant().plusSeconds(60), jti),
                new ClientCredentialsGrant(), null);
        assertThat(res.getStatusCode()).as(res.getBody()).isEqualTo(200);
        return ((AccessTokenResponse) TokenResponse.parse(res)).getTokens().getAccessToken().getValue();
    }

    private static String error(HTTPResponse res) throws Exception {
        return TokenErrorResponse.parse(res).getErrorObject().getCode();
    }

    @Test
    @DisplayName("metadata names every endpoint, the two client authentication methods and the scopes")
    void metadata() throws Exception {
        JSONObject md = JSONObjectUtils.parse(server.metadata());
        assertThat(md.get("issuer")).isEqualTo(ISSUER.toString());
        assertThat(md.get("token_endpoint")).isEqualTo(TOKEN.toString());
        assertThat(md.get("registration_endpoint")).isEqualTo(ISSUER + Endpoints.REGISTER);
        assertThat(md.get("token_endpoint_auth_methods_supported")).asInstanceOf(InstanceOfAssertFactories.LIST).containsExactly("private_key_jwt",
                "tls_client_auth");
        assertThat(md.get("scopes_supported")).asInstanceOf(InstanceOfAssertFactories.LIST).contains("nodes:read", "ca:sign", "fence", "peer", "admin");
        assertThat(JWKSet.parse(server.jwks()).getKeys()).singleElement()
                .satisfies(k -> assertThat(k.isPrivate()).isFalse());
    }

    @Test
    @DisplayName("a registered client gets an ES256 token with its scopes, which checks, introspects and revokes")
    void registerTokenIntrospectRevoke() throws Exception {
        Registered c = register("peer nodes:read");
        String at = accessToken(c, "a1");
        SignedJWT jwt = SignedJWT.parse(at);
        assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
        assertThat(jwt.getJWTClaimsSet().getExpirationTime().toInstant())
                .isBeforeOrEqualTo(clock.instant().plus(Duration.ofMinutes(5)));
        AccessTokens.Check check = server.tokens().check(at, Optional.empty());
        assertThat(check).isInstanceOfSatisfying(AccessTokens.Valid.class, v -> {
            assertThat(v.caller().clientId()).isEqualTo(c.clientId());
            assertThat(v.caller().scopes()).containsExactlyInAnyOrder(ApiScope.PEER, ApiScope.NODES_READ);
            assertThat(v.caller().nodeId()).contains("node-1");
        });

        TokenIntrospectionResponse intro = TokenIntrospectionResponse.parse(server.introspect(
                new TokenIntrospectionRequest(URI.create(ISSUER + Endpoints.INTROSPECT),
                        assertion(c, TOKEN, clock.instant().plusSeconds(60), "a2"),
                        new BearerAccessToken(at)).toHTTPRequest(), peer, false));
        assertThat(intro.toSuccessResponse().isActive()).isTrue();
        assertThat(intro.toSuccessResponse().getClientID().getValue()).isEqualTo(c.clientId());

        HTTPResponse revoked = server.revoke(new TokenRevocationRequest(URI.create(ISSUER + Endpoints.REVOKE),
                assertion(c, TOKEN, clock.instant().plusSeconds(60), "a3"), new BearerAccessToken(at))
                .toHTTPRequest(), peer, false);
        assertThat(revoked.getStatusCode()).isEqualTo(200);
        assertThat(server.tokens().check(at, Optional.empty())).isInstanceOfSatisfying(AccessTokens.Invalid.class,
                i -> assertThat(i.reason()).contains("revoked"));
        assertThat(store.revoked).hasSize(1);
        TokenIntrospectionSuccessResponse after = TokenIntrospectionResponse.parse(server.introspect(
                new TokenIntrospectionRequest(URI.create(ISSUER + Endpoints.INTROSPECT), new BearerAccessToken(at))
                        .toHTTPRequest(), peer, true)).toSuccessResponse();
        assertThat(after.isActive()).isFalse();
    }

    @Test
    @DisplayName("a replayed, expired, far-future or misaddressed assertion, an unknown client, an unsupported grant"
            + " and a wider scope are refused with their RFC 6749 errors and change nothing")
    void refusals() throws Exception {
        Registered c = register("peer");
        accessToken(c, "once");
        Map<String, OAuthClient> clientsBefore = Map.copyOf(store.clients);
        Instant now = clock.instant();
        HTTPResponse replay = token(assertion(c, TOKEN, now.plusSeconds(60), "once"), new ClientCredentialsGrant(),
                null);
        assertThat(replay.getStatusCode()).isEqualTo(401);
        assertThat(error(replay)).isEqualTo("invalid_client");
        assertThat(TokenErrorResponse.parse(replay).getErrorObject().getDescription()).contains("already used");

        assertThat(error(token(assertion(c, TOKEN, now.minusSeconds(120), "expired"), new ClientCredentialsGrant(),
                null))).isEqualTo("invalid_client");
        HTTPResponse far = token(assertion(c, TOKEN, now.plus(Duration.ofMinutes(30)), "far"),
                new ClientCredentialsGrant(), null);
        assertThat(error(far)).isEqualTo("invalid_client");
        assertThat(TokenErrorResponse.parse(far).getErrorObject().getDescription()).contains("at most 300 s ahead");
        assertThat(error(token(assertion(c, URI.create("https://elsewhere.example/token"), now.plusSeconds(60), "aud"),
                new ClientCredentialsGrant(), null))).isEqualTo("invalid_client");
        Registered stranger = new Registered("no-such-client", c.key(), null);
        assertThat(error(token(assertion(stranger, TOKEN, now.plusSeconds(60), "who"), new ClientCredentialsGrant(),
                null))).isEqualTo("invalid_client");
        HTTPResponse grant = token(assertion(c, TOKEN, now.plusSeconds(60), "grant"), new AuthorizationCodeGrant(
                new AuthorizationCode("x"), URI.create("https://cb.example")), null);
        assertThat(grant.getStatusCode()).isEqualTo(400);
        assertThat(error(grant)).isEqualTo("unsupported_grant_type");
        assertThat(error(token(assertion(c, TOKEN, now.plusSeconds(60), "scope"), new ClientCredentialsGrant(),
                new Scope("fence")))).isEqualTo("invalid_scope");

        assertThat(store.clients).isEqualTo(clientsBefore);
        assertThat(store.revoked).isEmpty();
    }

    @Test
    @DisplayName("a fence disables the node's clients: their tokens and their assertions stop working at once")
    void fenceDisables() throws Exception {
        Registered c = register("peer");
        String at = accessToken(c, "before");
        assertThat(server.disableNode("node-1", "fenced: test")).containsExactly(c.clientId());
        assertThat(server.tokens().check(at, Optional.empty())).isInstanceOf(AccessTokens.Invalid.class);
        HTTPResponse res = token(assertion(c, TOKEN, clock.instant().plusSeconds(60), "after"),
                new ClientCredentialsGrant(), null);
        assertThat(error(res)).isEqualTo("invalid_client");
        assertThat(TokenErrorResponse.parse(res).getErrorObject().getDescription()).contains("disabled");
        // Re-enabled (after readmission), the old token stays refused: it was issued before the fence.
        server.setStatus(c.clientId(), OAuthClient.Status.ENABLED, "test");
        assertThat(server.tokens().check(at, Optional.empty())).isInstanceOfSatisfying(AccessTokens.Invalid.class,
                i -> assertThat(i.reason()).contains("before its client's credentials were revoked"));
        clock.advance(Duration.ofSeconds(1));
        assertThat(server.tokens().check(accessToken(c, "readmitted"), Optional.empty()))
                .isInstanceOf(AccessTokens.Valid.class);
    }

    @Test
    @DisplayName("a denied registration, an unknown vendor's statement and a private key in jwks store nothing")
    void registrationRefusals() throws Exception {
        answer = TrustDecision.Answer.DENIED;
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        ClientMetadata md = new ClientMetadata();
        md.setJWKSet(new JWKSet(key.toPublicJWK()));
        HTTPResponse denied = server.register(new ClientRegistrationRequest(URI.create(ISSUER + Endpoints.REGISTER),
                md, null).toHTTPRequest(), peer);
        assertThat(denied.getStatusCode()).isEqualTo(403);
        assertThat(ClientRegistrationErrorResponse.parse(denied).getErrorObject().getCode()).isEqualTo("access_denied");

        answer = TrustDecision.Answer.TRUSTED;
        ECKey stranger = new ECKeyGenerator(Curve.P_256).keyID("other").generate();
        SignedJWT statement = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("other").build(),
                new JWTClaimsSet.Builder().issuer("acme").claim("software_id", "bmc-fw").build());
        statement.sign(new ECDSASigner(stranger));
        HTTPResponse unknown = server.register(new ClientRegistrationRequest(URI.create(ISSUER + Endpoints.REGISTER),
                md, statement, null).toHTTPRequest(), peer);
        assertThat(ClientRegistrationErrorResponse.parse(unknown).getErrorObject().getCode())
                .isEqualTo("unapproved_software_statement");

        // The SDK's client strips private parts, so this request is written by hand, as a careless client would.
        HTTPRequest leaky = new HTTPRequest(HTTPRequest.Method.POST, URI.create(ISSUER + Endpoints.REGISTER));
        leaky.setEntityContentType(ContentType.APPLICATION_JSON);
        leaky.setBody("{\"jwks\":{\"keys\":[" + key.toJSONString() + "]}}");
        HTTPResponse priv = server.register(leaky, peer);
        assertThat(ClientRegistrationErrorResponse.parse(priv).getErrorObject().getCode())
                .isEqualTo("invalid_client_metadata");
        assertThat(ClientRegistrationErrorResponse.parse(priv).getErrorObject().getDescription())
                .contains("private key");
        // Only the built-in operator client exists.
        assertThat(store.clients).containsOnlyKeys(AuthorizationServer.OPERATOR_CLIENT);
        assertThat(audit).contains("oauth.register denied");

        SignedJWT vouched = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("vendor-1").build(),
                new JWTClaimsSet.Builder().issuer("acme").claim("software_id", "bmc-fw").build());
        vouched.sign(new ECDSASigner(vendor));
        HTTPResponse ok = server.register(new ClientRegistrationRequest(URI.create(ISSUER + Endpoints.REGISTER),
                md, vouched, null).toHTTPRequest(), peer);
        assertThat(ok.getStatusCode()).as(ok.getBody()).isEqualTo(201);
    }

    @Test
    @DisplayName("the admin scope is never granted by registration alone: the client waits for approval")
    void adminNeedsApproval() throws Exception {
        Registered c = register("admin");
        assertThat(server.client(c.clientId()).orElseThrow().status()).isEqualTo(OAuthClient.Status.NEEDS_APPROVAL);
        HTTPResponse res = token(assertion(c, TOKEN, clock.instant().plusSeconds(60), "x"),
                new ClientCredentialsGrant(), null);
        assertThat(TokenErrorResponse.parse(res).getErrorObject().getDescription()).contains("approve");
    }

    @Test
    @DisplayName("RFC 7592: the registration token reads and deletes the client; a wrong one gets 401")
    void registrationManagement() throws Exception {
        Registered c = register("peer");
        URI uri = URI.create(ISSUER + Endpoints.REGISTER + "/" + c.clientId());
        HTTPResponse read = server.readClient(c.clientId(), new ClientReadRequest(uri, c.registrationToken())
                .toHTTPRequest());
        assertThat(read.getStatusCode()).isEqualTo(200);
        HTTPResponse wrong = server.readClient(c.clientId(), new ClientReadRequest(uri, new BearerAccessToken("nope"))
                .toHTTPRequest());
        assertThat(wrong.getStatusCode()).isEqualTo(401);
        assertThat(wrong.getHeaderValue("WWW-Authenticate")).contains("invalid_token");
        assertThat(server.deleteClient(c.clientId(), new ClientDeleteRequest(uri, new BearerAccessToken("nope"))
                .toHTTPRequest()).getStatusCode()).isEqualTo(401);
        assertThat(store.clients).containsKey(c.clientId());
        assertThat(server.deleteClient(c.clientId(), new ClientDeleteRequest(uri, c.registrationToken())
                .toHTTPRequest()).getStatusCode()).isEqualTo(204);
        assertThat(store.clients).doesNotContainKey(c.clientId());
    }

    @Test
    @DisplayName("after rotation the old key stays published and verifying until its tokens have expired")
    void keyRotation() throws Exception {
        Registered c = register("peer");
        String oldKid = server.keys().current().kid();
        clock.advance(Duration.ofDays(1).minusMinutes(1));
        String late = accessToken(c, "r1");
        assertThat(SignedJWT.parse(late).getHeader().getKeyID()).isEqualTo(oldKid);
        clock.advance(Duration.ofMinutes(2));
        String fresh = accessToken(c, "r2");
        assertThat(SignedJWT.parse(fresh).getHeader().getKeyID()).isNotEqualTo(oldKid);
        assertThat(JWKSet.parse(server.jwks()).getKeys()).extracting(k -> k.getKeyID()).contains(oldKid);
        assertThat(server.tokens().check(late, Optional.empty())).isInstanceOf(AccessTokens.Valid.class);
        clock.advance(Duration.ofMinutes(6));
        server.keys().rotate();
        assertThat(JWKSet.parse(server.jwks()).getKeys()).extracting(k -> k.getKeyID()).doesNotContain(oldKid);
        assertThat(server.tokens().check(late, Optional.empty())).isInstanceOf(AccessTokens.Invalid.class);
        assertThat(store.keys).doesNotContainKey(oldKid);
    }
}
