package dev.drawbridge.oauth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.oauth2.sdk.AccessTokenResponse;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.OAuth2Error;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenErrorResponse;
import com.nimbusds.oauth2.sdk.TokenIntrospectionRequest;
import com.nimbusds.oauth2.sdk.TokenIntrospectionSuccessResponse;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenRevocationRequest;
import com.nimbusds.oauth2.sdk.as.AuthorizationServerMetadata;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationGrantError;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationRequest;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationSuccessResponse;
import com.nimbusds.oauth2.sdk.device.DeviceCode;
import com.nimbusds.oauth2.sdk.device.DeviceCodeGrant;
import com.nimbusds.oauth2.sdk.device.UserCode;
import java.net.URI;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.JWTID;
import com.nimbusds.oauth2.sdk.id.Subject;
import com.nimbusds.oauth2.sdk.token.AccessTokenType;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.oauth2.sdk.token.Tokens;
import com.nimbusds.oauth2.sdk.util.MultivaluedMapUtils;
import com.nimbusds.jose.util.Base64URL;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The authorization server: metadata (RFC 8414), signing keys (JWKS), client registration (RFC 7591/7592), the
 * token endpoint ({@code client_credentials} with {@code private_key_jwt} or {@code tls_client_auth}),
 * introspection (RFC 7662) and revocation (RFC 7009), and the check of a bearer token on every API request. Every
 * endpoint takes and returns the Nimbus SDK's HTTP objects, so the web layer only copies bytes; every error follows
 * RFC 6749.
 */
public final class AuthorizationServer {
    /** The client that operator tokens ({@code drawbridge token}) are issued to; it cannot use the token endpoint. */
    public static final String OPERATOR_CLIENT = "drawbridge-operator";

    private final OAuthSettings settings;
    private final SigningKeys keys;
    private final Clients clients;
    private final AccessTokens tokens;
    private final ClientAuthenticator authenticator;
    private final Registrations registrations;
    private final DeviceFlow devices;
    private final AuditSink audit;
    private final Clock clock;

    public AuthorizationServer(OAuthSettings settings, OAuthStore store, SigningKeys.KeyVault vault,
                               RegistrationPolicy policy, AuditSink audit, Clock clock) {
        this.settings = settings;
        this.audit = audit;
        this.clock = clock;
        this.keys = SigningKeys.open(vault, settings.keyRotation(), settings.tokenLifetime(), clock);
        this.clients = new Clients(store);
        this.tokens = new AccessTokens(settings, keys, store, clients, clock);
        this.authenticator = new ClientAuthenticator(clients, new ReplayCache(clock, 1_000_000), settings, clock);
        this.registrations = new Registrations(clients, settings, policy, audit, clock);
        this.devices = new DeviceFlow(clock);
        ensureOperatorClient(clock.instant());
    }

    /** Leaves signing-key rotation to {@link #rotateKeysIfDue} (controllers sharing a store: one rotates, under a lease). */
    public void rotateKeysOnlyWhenAsked() {
        keys.rotateOnlyWhenAsked();
    }

    /** Rotates the signing key if it has signed for its whole time; whether it did. */
    public boolean rotateKeysIfDue() {
        return keys.rotateIfDue();
    }

    private void ensureOperatorClient(Instant now) {
        if (clients.find(OPERATOR_CLIENT).isEmpty() && !clients.add(new OAuthClient(OPERATOR_CLIENT, "operators (drawbridge token)",
                    OAuthClient.AuthMethod.PRIVATE_KEY_JWT, Optional.empty(), Optional.empty(),
                    EnumSet.allOf(ApiScope.class), OAuthClient.Status.ENABLED, Optional.empty(),
                    Registrations.sha256(now + OPERATOR_CLIENT), "{}", "{\"answer\":\"trusted\"}", now, now,
                    Instant.EPOCH), Integer.MAX_VALUE)) {
            clients.reload(OPERATOR_CLIENT); // another controller sharing the store added it a moment ago
        }
    }

    public OAuthSettings settings() {
        return settings;
    }

    public SigningKeys keys() {
        return keys;
    }

    /** The check every API request makes of its bearer token. */
    public AccessTokens tokens() {
        return tokens;
    }

    /** RFC 8414 metadata. */
    public String metadata() {
        AuthorizationServerMetadata md = new AuthorizationServerMetadata(new Issuer(settings.issuer()));
        md.setJWKSetURI(settings.endpoint(Endpoints.JWKS));
        md.setTokenEndpointURI(settings.endpoint(Endpoints.TOKEN));
        md.setRegistrationEndpointURI(settings.endpoint(Endpoints.REGISTER));
        md.setIntrospectionEndpointURI(settings.endpoint(Endpoints.INTROSPECT));
        md.setRevocationEndpointURI(settings.endpoint(Endpoints.REVOKE));
        md.setDeviceAuthorizationEndpointURI(settings.endpoint(Endpoints.DEVICE_AUTHORIZATION));
        md.setGrantTypes(List.of(GrantType.CLIENT_CREDENTIALS, GrantType.DEVICE_CODE));
        List<ClientAuthenticationMethod> methods = List.of(ClientAuthenticationMethod.PRIVATE_KEY_JWT,
                ClientAuthenticationMethod.TLS_CLIENT_AUTH);
        md.setTokenEndpointAuthMethods(methods);
        md.setIntrospectionEndpointAuthMethods(methods);
        md.setRevocationEndpointAuthMethods(methods);
        List<JWSAlgorithm> algs = List.of(JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.PS256,
                JWSAlgorithm.RS256);
        md.setTokenEndpointJWSAlgs(algs);
        md.setIntrospectionEndpointJWSAlgs(algs);
        md.setRevocationEndpointJWSAlgs(algs);
        List<String> scopes = new ArrayList<>();
        for (ApiScope s : ApiScope.values()) {
            scopes.add(s.wire());
        }
        md.setScopes(new Scope(scopes.toArray(String[]::new)));
        md.setSupportsTLSClientCertificateBoundAccessTokens(true);
        md.setResponseTypes(List.of());
        return md.toJSONObject().toJSONString();
    }

    /** The public signing keys (RFC 7517). */
    public String jwks() {
        return keys.publicSet().toString();
    }

    public HTTPResponse register(HTTPRequest req, Peer peer) {
        return registrations.register(req, peer);
    }

    public HTTPResponse readClient(String clientId, HTTPRequest req) {
        return registrations.read(clientId, req);
    }

    public HTTPResponse updateClient(String clientId, HTTPRequest req, Peer peer) {
        return registrations.update(clientId, req, peer);
    }

    public HTTPResponse deleteClient(String clientId, HTTPRequest req) {
        return registrations.delete(clientId, req);
    }

    /** The token endpoint. */
    public HTTPResponse token(HTTPRequest req, Peer peer) {
        TokenRequest tr;
        try {
            tr = TokenRequest.parse(req);
        } catch (ParseException e) {
            return malformed(e);
        }
        ClientAuthentication auth = tr.getClientAuthentication();
        if (auth == null) {
            return tokenError(OAuth2Error.INVALID_CLIENT.setDescription(
                    "authenticate the client with private_key_jwt or tls_client_auth"));
        }
        boolean device = tr.getAuthorizationGrant() instanceof DeviceCodeGrant;
        OAuthClient client;
        try {
            client = authenticator.authenticate(auth, thumbprint(peer), device ? ClientAuthenticator.Accept.ANY
                    : ClientAuthenticator.Accept.ENABLED);
        } catch (OAuthFailure f) {
            return tokenError(f.error());
        }
        if (tr.getAuthorizationGrant() instanceof DeviceCodeGrant grant) {
            return deviceToken(client, grant.getDeviceCode().getValue(), peer);
        }
        if (!(tr.getAuthorizationGrant() instanceof ClientCredentialsGrant)) {
            return tokenError(OAuth2Error.UNSUPPORTED_GRANT_TYPE.setDescription("grant type "
                    + tr.getAuthorizationGrant().getType() + " is not offered here; use client_credentials"));
        }
        Set<ApiScope> scopes;
        try {
            scopes = requested(client, tr.getScope());
        } catch (OAuthFailure f) {
            return tokenError(f.error());
        }
        Optional<String> bound;
        try {
            bound = binding(client, peer);
        } catch (OAuthFailure f) {
            return tokenError(f.error());
        }
        String jwt = tokens.issue(client.clientId(), scopes, settings.tokenLifetime(), bound);
        BearerAccessToken at = new BearerAccessToken(jwt, settings.tokenLifetime().toSeconds(),
                new Scope(ApiScope.join(scopes).split(" ")));
        return new AccessTokenResponse(new Tokens(at, null)).toHTTPResponse();
    }

    /**
     * The device authorization endpoint (RFC 8628 §3.1): a client, which may still wait for approval, asks; the
     * answer names the user code an operator enters at {@code /device}.
     */
    public HTTPResponse deviceAuthorization(HTTPRequest req, Peer peer) {
        DeviceAuthorizationRequest r;
        try {
            r = DeviceAuthorizationRequest.parse(req);
        } catch (ParseException e) {
            return malformed(e);
        }
        if (r.getClientAuthentication() == null) {
            return tokenError(OAuth2Error.INVALID_CLIENT.setDescription(
                    "authenticate the client with private_key_jwt or tls_client_auth"));
        }
        OAuthClient client;
        try {
            client = authenticator.authenticate(r.getClientAuthentication(), thumbprint(peer),
                    ClientAuthenticator.Accept.WAITING);
        } catch (OAuthFailure f) {
            return tokenError(f.error());
        }
        if (!registrations.grants(client).contains(GrantType.DEVICE_CODE)) {
            return tokenError(OAuth2Error.UNAUTHORIZED_CLIENT.setDescription("client " + client.clientId()
                    + " did not register for the grant type " + GrantType.DEVICE_CODE));
        }
        Set<ApiScope> scopes;
        try {
            scopes = requested(client, r.getScope());
        } catch (OAuthFailure f) {
            return tokenError(f.error());
        }
        Optional<DeviceFlow.Request> started = devices.start(client.clientId(), scopes);
        if (started.isEmpty()) {
            return tokenError(OAuth2Error.TEMPORARILY_UNAVAILABLE.setDescription("too many device authorizations"
                    + " are pending (at most " + DeviceFlow.MAX_PER_CLIENT + " per client); try again later"));
        }
        DeviceFlow.Request d = started.get();
        audit.record("oauth.device", client.name(), "pending", Map.of("client_id", client.clientId(), "user_code",
                d.userCode(), "scope", ApiScope.join(scopes)));
        URI page = settings.endpoint(Endpoints.DEVICE_PAGE);
        return new DeviceAuthorizationSuccessResponse(new DeviceCode(d.deviceCode()), new UserCode(d.userCode()),
                page, URI.create(page + "?user_code=" + d.userCode()), DeviceFlow.LIFETIME.toSeconds(),
                DeviceFlow.INTERVAL.toSeconds(), null).toHTTPResponse();
    }

    /** A poll of the token endpoint with a device code (RFC 8628 §3.4, §3.5). */
    private HTTPResponse deviceToken(OAuthClient client, String deviceCode, Peer peer) {
        DeviceFlow.Poll poll = devices.poll(deviceCode, client.clientId());
        if (client.status() == OAuthClient.Status.DISABLED && !(poll instanceof DeviceFlow.Denied)) {
            return tokenError(OAuth2Error.INVALID_CLIENT.setDescription("client " + client.clientId()
                    + " is disabled"));
        }
        return switch (poll) {
            case DeviceFlow.Waiting w -> tokenError(w.tooFast() ? DeviceAuthorizationGrantError.SLOW_DOWN
                    : DeviceAuthorizationGrantError.AUTHORIZATION_PENDING);
            case DeviceFlow.Denied d -> tokenError(OAuth2Error.ACCESS_DENIED.setDescription(
                    "an operator denied the request"));
            case DeviceFlow.Expired e -> tokenError(DeviceAuthorizationGrantError.EXPIRED_TOKEN);
            case DeviceFlow.Unknown u -> tokenError(OAuth2Error.INVALID_GRANT.setDescription(
                    "unknown device_code for this client"));
            case DeviceFlow.Approved a when client.status() != OAuthClient.Status.ENABLED -> tokenError(
                    OAuth2Error.INVALID_CLIENT.setDescription("client " + client.clientId() + " is "
                            + client.status().wire()));
            case DeviceFlow.Approved a -> {
                Optional<String> bound;
                try {
                    bound = binding(client, peer);
                } catch (OAuthFailure f) {
                    yield tokenError(f.error());
                }
                String jwt = tokens.issue(client.clientId(), a.scopes(), settings.tokenLifetime(), bound);
                yield new AccessTokenResponse(new Tokens(new BearerAccessToken(jwt, settings.tokenLifetime()
                        .toSeconds(), new Scope(ApiScope.join(a.scopes()).split(" "))), null)).toHTTPResponse();
            }
        };
    }

    /** The scopes a request asks for (all the client's when it names none), each one the client's own. */
    private static Set<ApiScope> requested(OAuthClient client, Scope asked) throws OAuthFailure {
        Set<ApiScope> scopes;
        try {
            scopes = asked == null ? client.scopes() : ApiScope.parseList(asked.toString());
        } catch (IllegalArgumentException e) {
            throw new OAuthFailure(OAuth2Error.INVALID_SCOPE, e.getMessage());
        }
        if (scopes.isEmpty() || !client.scopes().containsAll(scopes)) {
            throw new OAuthFailure(OAuth2Error.INVALID_SCOPE, "client " + client.clientId() + " may ask for "
                    + ApiScope.join(client.scopes()));
        }
        return scopes;
    }

    /** A pending device request as the verification page shows it. */
    public record DeviceRequest(String userCode, OAuthClient client, Set<ApiScope> scopes, Instant expires) {}

    /** The pending request a user code names, if any. */
    public Optional<DeviceRequest> deviceRequest(String userCode) {
        return devices.find(userCode).flatMap(r -> clients.find(r.clientId()).map(c -> new DeviceRequest(r.userCode(),
                c, r.scopes(), r.expires())));
    }

    /**
     * An operator's decision on a device request: approval enables the client (its next poll gets a token),
     * denial disables it. False when the code names no pending request.
     */
    public boolean decideDevice(String userCode, boolean approve, String operator) {
        Optional<DeviceRequest> r = deviceRequest(userCode);
        if (r.isEmpty() || !devices.decide(userCode, approve, operator)) {
            return false;
        }
        OAuthClient c = r.get().client();
        if (approve && c.status() != OAuthClient.Status.ENABLED) {
            clients.replace(c.withStatus(OAuthClient.Status.ENABLED, clock.instant()));
        } else if (!approve && c.status() != OAuthClient.Status.DISABLED) {
            clients.replace(c.disabled(clock.instant()));
        }
        audit.record("oauth.device", c.name(), approve ? "granted" : "denied", Map.of("client_id", c.clientId(),
                "user_code", r.get().userCode(), "operator", operator));
        return true;
    }

    /**
     * The introspection endpoint. The caller is a client authenticating as at the token endpoint (it learns only
     * about its own tokens, unless it holds {@code peer} or {@code admin}), or holds a bearer token with one of those
     * scopes; {@code admin} is true when the web layer already authenticated the admin token.
     */
    public HTTPResponse introspect(HTTPRequest req, Peer peer, boolean admin) {
        TokenIntrospectionRequest r;
        try {
            r = TokenIntrospectionRequest.parse(req);
        } catch (ParseException e) {
            return malformed(e);
        }
        Optional<String> asker;
        try {
            asker = admin ? Optional.empty() : Optional.of(caller(r.getClientAuthentication(),
                    r.getClientAuthorization() == null ? null : r.getClientAuthorization().getValue(), peer));
        } catch (OAuthFailure f) {
            return tokenError(f.error());
        }
        AccessTokens.Check check = tokens.check(r.getToken().getValue(), Optional.empty());
        if (!(check instanceof AccessTokens.Valid v) || asker.isPresent() && !mayInspect(asker.get(), v.caller())) {
            return new TokenIntrospectionSuccessResponse.Builder(false).build().toHTTPResponse();
        }
        Caller c = v.caller();
        TokenIntrospectionSuccessResponse.Builder b = new TokenIntrospectionSuccessResponse.Builder(true)
                .scope(new Scope(ApiScope.join(c.scopes()).split(" ")))
                .clientID(new ClientID(c.clientId()))
                .subject(new Subject(c.clientId()))
                .issuer(new Issuer(settings.issuer()))
                .tokenType(AccessTokenType.BEARER)
                .issueTime(Date.from(c.issuedAt()))
                .expirationTime(Date.from(c.expiresAt()))
                .jwtID(new JWTID(c.jti()));
        c.boundThumbprint().ifPresent(t -> b.x509CertificateSHA256Thumbprint(new Base64URL(t)));
        return b.build().toHTTPResponse();
    }

    /** Who asks, by client authentication or by a bearer token with peer or admin scope; its client id. */
    private String caller(ClientAuthentication auth, String bearer, Peer peer) throws OAuthFailure {
        if (auth != null) {
            return authenticator.authenticate(auth, thumbprint(peer)).clientId();
        }
        if (bearer != null) {
            AccessTokens.Check check = tokens.check(bearer, thumbprint(peer));
            if (check instanceof AccessTokens.Valid v && (ApiScope.PEER.grantedBy(v.caller().scopes()))) {
                return v.caller().clientId();
            }
            throw new OAuthFailure(OAuth2Error.INVALID_CLIENT, "the bearer token is not valid or lacks the peer"
                    + " scope");
        }
        throw new OAuthFailure(OAuth2Error.INVALID_CLIENT, "authenticate with private_key_jwt, tls_client_auth or a"
                + " bearer token with the peer scope");
    }

    private boolean mayInspect(String askerId, Caller token) {
        if (askerId.equals(token.clientId())) {
            return true;
        }
        return clients.find(askerId).map(c -> ApiScope.PEER.grantedBy(c.scopes())).orElse(false);
    }

    /**
     * The revocation endpoint: a client revokes its own tokens ({@code admin}: the web layer authenticated the
     * admin token, which revokes any). An unknown or invalid token is answered 200, as RFC 7009 says.
     */
    public HTTPResponse revoke(HTTPRequest req, Peer peer, boolean admin) {
        if (admin) {
            // No client authentication to parse: the token is the form's only parameter that matters.
            String token;
            try {
                token = MultivaluedMapUtils.getFirstValue(req.getBodyAsFormParameters(), "token");
            } catch (ParseException e) {
                return tokenError(OAuth2Error.INVALID_REQUEST.setDescription(e.getMessage()));
            }
            if (token == null || token.isBlank()) {
                return tokenError(OAuth2Error.INVALID_REQUEST.setDescription("missing token parameter"));
            }
            return revokeToken(token, Optional.empty());
        }
        TokenRevocationRequest r;
        try {
            r = TokenRevocationRequest.parse(req);
        } catch (ParseException e) {
            return malformed(e);
        }
        if (r.getClientAuthentication() == null) {
            return tokenError(OAuth2Error.INVALID_CLIENT.setDescription(
                    "authenticate the client with private_key_jwt or tls_client_auth"));
        }
        try {
            String asker = authenticator.authenticate(r.getClientAuthentication(), thumbprint(peer)).clientId();
            return revokeToken(r.getToken().getValue(), Optional.of(asker));
        } catch (OAuthFailure f) {
            return tokenError(f.error());
        }
    }

    /** Revokes a valid token ({@code asker}: the client that must own it); 200 for anything else (RFC 7009). */
    private HTTPResponse revokeToken(String token, Optional<String> asker) {
        AccessTokens.Check check = tokens.check(token, Optional.empty());
        if (check instanceof AccessTokens.Valid v) {
            if (asker.isPresent() && !asker.get().equals(v.caller().clientId())) {
                return tokenError(OAuth2Error.UNAUTHORIZED_CLIENT.setDescription(
                        "the token was not issued to the client asking to revoke it"));
            }
            tokens.revoke(v.caller());
            audit.record("oauth.revoke", v.caller().clientId(), "granted", Map.of("jti", v.caller().jti()));
        }
        return new HTTPResponse(HTTPResponse.SC_OK);
    }

    /** A token for an operator's scripts ({@code drawbridge token}), issued to {@link #OPERATOR_CLIENT}. */
    public String operatorToken(String operator, Set<ApiScope> scopes, Duration lifetime) {
        if (scopes.isEmpty()) {
            throw new IllegalArgumentException("name at least one scope");
        }
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(settings.maxTokenLifetime()) > 0) {
            throw new IllegalArgumentException("the lifetime must be positive and at most "
                    + settings.maxTokenLifetime());
        }
        String jwt = tokens.issue(OPERATOR_CLIENT, scopes, lifetime, Optional.empty());
        audit.record("oauth.operator-token", operator, "granted", Map.of("scope", ApiScope.join(scopes),
                "lifetime", lifetime.toString()));
        return jwt;
    }

    /** Every registered client. */
    public List<OAuthClient> clients() {
        return clients.all().stream().sorted((a, b) -> a.createdAt().compareTo(b.createdAt())).toList();
    }

    public Optional<OAuthClient> client(String clientId) {
        return clients.find(clientId);
    }

    /**
     * Disables every client that speaks for {@code nodeId} and refuses every token they were issued until now
     * (a fence). Returns the ids of the clients disabled.
     */
    public List<String> disableNode(String nodeId, String reason) {
        Instant now = clock.instant();
        List<String> out = new ArrayList<>();
        for (OAuthClient c : clients.all()) {
            if (c.nodeId().equals(Optional.of(nodeId)) && c.status() != OAuthClient.Status.DISABLED) {
                clients.replace(c.disabled(now));
                audit.record("oauth.disable", c.name(), "granted", Map.of("client_id", c.clientId(), "reason",
                        reason));
                out.add(c.clientId());
            }
        }
        return out;
    }

    /** Sets a client's status (an operator's approval or disabling); false when there is no such client. */
    public boolean setStatus(String clientId, OAuthClient.Status status, String actor) {
        Optional<OAuthClient> c = clients.find(clientId);
        if (c.isEmpty()) {
            return false;
        }
        Instant now = clock.instant();
        OAuthClient next = status == OAuthClient.Status.DISABLED ? c.get().disabled(now)
                : c.get().withStatus(status, now);
        boolean done = clients.replace(next);
        audit.record("oauth.status", c.get().name(), "granted", Map.of("client_id", clientId, "status",
                status.wire(), "actor", actor));
        return done;
    }

    /**
     * The certificate a new token is bound to (RFC 8705 §3): the request's TLS client certificate, for a
     * {@code tls_client_auth} client or one registered with {@code tls_client_certificate_bound_access_tokens}; such a
     * client asking without a certificate is refused rather than given a token it did not want.
     */
    private Optional<String> binding(OAuthClient client, Peer peer) throws OAuthFailure {
        Optional<String> presented = thumbprint(peer);
        if (client.authMethod() == OAuthClient.AuthMethod.TLS_CLIENT_AUTH) {
            return presented;
        }
        if (!registrations.boundTokens(client)) {
            return Optional.empty();
        }
        if (presented.isEmpty()) {
            throw unbound(client);
        }
        return presented;
    }

    private static OAuthFailure unbound(OAuthClient client) {
        return new OAuthFailure(OAuth2Error.INVALID_REQUEST, "client " + client.clientId() + " registered for"
                + " certificate-bound tokens (tls_client_certificate_bound_access_tokens): connect with a TLS client"
                + " certificate");
    }

    private static Optional<String> thumbprint(Peer peer) {
        return peer.certificate().isEmpty() ? Optional.empty() : Optional.of(Thumbprints.of(peer.certificate().get(0)));
    }

    /** A request the SDK could not parse: its own RFC 6749 error, or invalid_request with its reason. */
    private static HTTPResponse malformed(ParseException e) {
        return tokenError(e.getErrorObject() != null ? e.getErrorObject()
                : OAuth2Error.INVALID_REQUEST.setDescription(e.getMessage()));
    }

    private static HTTPResponse tokenError(ErrorObject e) {
        HTTPResponse res = new TokenErrorResponse(e).toHTTPResponse();
        if (e.getHTTPStatusCode() == HTTPResponse.SC_UNAUTHORIZED) {
            res.setHeader("WWW-Authenticate", "Bearer realm=\"drawbridge\", error=\"" + e.getCode() + "\"");
        }
        return res;
    }
}
