package dev.drawbridge.oauth;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.client.ClientDeleteRequest;
import com.nimbusds.oauth2.sdk.client.ClientInformation;
import com.nimbusds.oauth2.sdk.client.ClientInformationResponse;
import com.nimbusds.oauth2.sdk.client.ClientMetadata;
import com.nimbusds.oauth2.sdk.client.ClientReadRequest;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationErrorResponse;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationRequest;
import com.nimbusds.oauth2.sdk.client.ClientUpdateRequest;
import com.nimbusds.oauth2.sdk.client.RegistrationError;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.token.AccessToken;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.oauth2.sdk.token.BearerTokenError;
import java.nio.charset.StandardCharsets;
import net.minidev.json.JSONObject;
import net.minidev.json.JSONValue;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Dynamic client registration (RFC 7591) and its management through the registration access token (RFC 7592).
 * A client registers with inline {@code jwks} ({@code private_key_jwt}) or with the TLS client certificate it
 * connected with ({@code tls_client_auth}); an optional software statement counts when a configured vendor key
 * verifies it. The {@link RegistrationPolicy} decides: trusted clients are enabled, others wait for approval or are
 * refused. Nothing is stored for a refused registration.
 */
final class Registrations {
    /** Grant types a client may register for. */
    static final Set<GrantType> GRANTS = Set.of(GrantType.CLIENT_CREDENTIALS, GrantType.DEVICE_CODE);
    private static final int MAX_KEYS = 10;
    private static final ErrorObject ACCESS_DENIED = new ErrorObject("access_denied", "registration refused", 403);

    private final Clients clients;
    private final OAuthSettings settings;
    private final RegistrationPolicy policy;
    private final AuditSink audit;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    Registrations(Clients clients, OAuthSettings settings, RegistrationPolicy policy, AuditSink audit, Clock clock) {
        this.clients = clients;
        this.settings = settings;
        this.policy = policy;
        this.audit = audit;
        this.clock = clock;
    }

    /** What the metadata says, checked: the auth method, its credential, the scopes and grant types. */
    private record Checked(OAuthClient.AuthMethod method, Optional<String> jwks, Optional<String> thumbprint,
                           Set<ApiScope> scopes, Set<GrantType> grants, Optional<RegistrationPolicy.Statement> statement,
                           String name) {}

    HTTPResponse register(HTTPRequest req, Peer peer) {
        ClientRegistrationRequest r;
        try {
            r = ClientRegistrationRequest.parse(req);
        } catch (ParseException e) {
            return refuse(peer, "?", e.getErrorObject() != null ? e.getErrorObject()
                    : RegistrationError.INVALID_CLIENT_METADATA.setDescription(e.getMessage()));
        }
        ClientMetadata md = r.getClientMetadata();
        String requestedName = Optional.ofNullable(md.getName()).orElse("");
        Optional<SignedJWT> statement = Optional.ofNullable(r.getSoftwareStatement())
                .or(() -> Optional.ofNullable(md.getSoftwareStatement()));
        Checked c;
        try {
            c = check(md, statement, peer);
        } catch (OAuthFailure f) {
            return refuse(peer, requestedName, f.error());
        }
        TrustDecision decision = RegistrationPolicy.withServerRules(policy.judge(new RegistrationPolicy.Facts(
                peer.address(), peer.certificate(), c.statement(), c.name(), c.scopes())), c.scopes());
        if (decision.answer() == TrustDecision.Answer.DENIED) {
            return refuse(peer, c.name(), ACCESS_DENIED.setDescription("the trust policy refuses this client: "
                    + decision.summary()));
        }
        Instant now = clock.instant();
        String clientId = randomId(16);
        BearerAccessToken registrationToken = new BearerAccessToken(randomId(32));
        md.setName(c.name());
        md.setScope(new Scope(ApiScope.join(c.scopes()).split(" ")));
        md.setGrantTypes(c.grants());
        md.setTokenEndpointAuthMethod(new ClientAuthenticationMethod(c.method().wire()));
        OAuthClient.Status status = decision.answer() == TrustDecision.Answer.TRUSTED ? OAuthClient.Status.ENABLED
                : OAuthClient.Status.NEEDS_APPROVAL;
        md.setCustomField("drawbridge_status", status.wire());
        md.setCustomField("drawbridge_trust", decision.summary());
        OAuthClient client = new OAuthClient(clientId, c.name(), c.method(), c.jwks(), c.thumbprint(), c.scopes(),
                status, decision.nodeId(), sha256(registrationToken.getValue()), md.toJSONObject().toJSONString(),
                JSONValue.toJSONString(record(decision, peer, statement)), now, now, Instant.EPOCH);
        if (!clients.add(client, settings.maxClients())) {
            return refuse(peer, c.name(), RegistrationError.INVALID_CLIENT_METADATA.setDescription(
                    "this server holds its limit of " + settings.maxClients() + " clients; delete unused ones first")
                    .setHTTPStatusCode(503));
        }
        audit.record("oauth.register", c.name(), status == OAuthClient.Status.ENABLED ? "granted" : "pending",
                Map.of("client_id", clientId, "source", peer.address().getHostAddress(), "decision",
                        decision.summary()));
        ClientInformation info = new ClientInformation(new ClientID(clientId), Date.from(now), md, null,
                settings.endpoint(Endpoints.REGISTER + "/" + clientId), registrationToken);
        return new ClientInformationResponse(info, true).toHTTPResponse();
    }

    /**
     * The decision as stored with the client: the answer, each factor, and the facts it was reached on (source,
     * certificate chain as base64 DER, statement), so a changed policy can judge the client again.
     */
    private static Map<String, Object> record(TrustDecision decision, Peer peer, Optional<SignedJWT> statement) {
        Map<String, Object> out = new LinkedHashMap<>(decision.toMap());
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("source", peer.address().getHostAddress());
        List<String> chain = new ArrayList<>();
        for (X509Certificate c : peer.certificate()) {
            try {
                chain.add(Base64.getEncoder().encodeToString(c.getEncoded()));
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException(e);
            }
        }
        facts.put("certificate", chain);
        statement.ifPresent(s -> facts.put("statement", s.serialize()));
        out.put("facts", facts);
        return out;
    }

    private HTTPResponse refuse(Peer peer, String name, ErrorObject error) {
        audit.record("oauth.register", name.isEmpty() ? "?" : name, "denied", Map.of("source",
                peer.address().getHostAddress(), "error", error.getCode(), "reason",
                Optional.ofNullable(error.getDescription()).orElse("")));
        return new ClientRegistrationErrorResponse(error).toHTTPResponse();
    }

    private Checked check(ClientMetadata md, Optional<SignedJWT> statement, Peer peer) throws OAuthFailure {
        if (md.getRedirectionURIs() != null && !md.getRedirectionURIs().isEmpty()) {
            throw invalid("redirect_uris are not used: this server has no browser redirect flow");
        }
        if (md.getJWKSetURI() != null) {
            throw invalid("jwks_uri is not fetched: send the public keys inline as jwks");
        }
        Set<GrantType> grants = md.getGrantTypes() == null ? Set.of(GrantType.CLIENT_CREDENTIALS)
                : Set.copyOf(md.getGrantTypes());
        for (GrantType g : grants) {
            if (!GRANTS.contains(g)) {
                throw invalid("grant type " + g + " is not offered; use client_credentials or "
                        + GrantType.DEVICE_CODE);
            }
        }
        Set<ApiScope> scopes;
        try {
            scopes = md.getScope() == null ? EnumSet.of(ApiScope.PEER) : ApiScope.parseList(md.getScope().toString());
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
        if (scopes.isEmpty()) {
            throw invalid("scope names no scope");
        }
        OAuthClient.AuthMethod method = method(md, peer);
        Optional<String> jwks = Optional.empty();
        Optional<String> thumbprint = Optional.empty();
        if (method == OAuthClient.AuthMethod.PRIVATE_KEY_JWT) {
            jwks = Optional.of(publicKeys(md.getJWKSet()).toString());
        } else {
            if (peer.certificate().isEmpty()) {
                throw invalid("tls_client_auth needs the TLS client certificate the client will authenticate with");
            }
            String subject = peer.certificate().get(0).getSubjectX500Principal().getName();
            if (md.getTLSClientAuthSubjectDN() != null && !md.getTLSClientAuthSubjectDN().equals(subject)) {
                throw invalid("tls_client_auth_subject_dn " + md.getTLSClientAuthSubjectDN()
                        + " is not the presented certificate's subject " + subject);
            }
            md.setTLSClientAuthSubjectDN(subject);
            thumbprint = Optional.of(Thumbprints.of(peer.certificate().get(0)));
        }
        Optional<RegistrationPolicy.Statement> verified = Optional.empty();
        if (statement.isPresent()) {
            VendorKeys.Checked checked = policy.vendors().check(statement.get());
            switch (checked) {
                case VendorKeys.Verified v -> verified = Optional.of(v.statement());
                case VendorKeys.Refused no -> throw new OAuthFailure(no.unknownVendor()
                        ? RegistrationError.UNAPPROVED_SOFTWARE_STATEMENT
                        : RegistrationError.INVALID_SOFTWARE_STATEMENT, no.reason());
            }
        }
        String name = Optional.ofNullable(md.getName()).filter(n -> !n.isBlank()).orElse("unnamed");
        if (name.length() > 200) {
            throw invalid("client_name is longer than 200 characters");
        }
        return new Checked(method, jwks, thumbprint, scopes, grants, verified, name);
    }

    private static OAuthClient.AuthMethod method(ClientMetadata md, Peer peer) throws OAuthFailure {
        ClientAuthenticationMethod m = md.getTokenEndpointAuthMethod();
        if (m == null) {
            return md.getJWKSet() != null || peer.certificate().isEmpty() ? OAuthClient.AuthMethod.PRIVATE_KEY_JWT
                    : OAuthClient.AuthMethod.TLS_CLIENT_AUTH;
        }
        return OAuthClient.AuthMethod.parse(m.getValue()).orElseThrow(() -> invalid("token_endpoint_auth_method "
                + m.getValue() + " is not offered; use private_key_jwt or tls_client_auth"));
    }

    private static JWKSet publicKeys(JWKSet set) throws OAuthFailure {
        if (set == null || set.getKeys().isEmpty()) {
            throw invalid("private_key_jwt needs jwks: the client's public keys");
        }
        if (set.getKeys().size() > MAX_KEYS) {
            throw invalid("jwks holds more than " + MAX_KEYS + " keys");
        }
        for (JWK k : set.getKeys()) {
            if (k.isPrivate()) {
                throw invalid("jwks holds a private key (kid " + k.getKeyID() + "): register public keys only");
            }
            boolean strong = k instanceof ECKey ec && !ec.getCurve().getName().startsWith("secp256k")
                    || k instanceof RSAKey rsa && rsa.size() >= 2048;
            if (!strong) {
                throw invalid("key " + k.getKeyID() + " is neither an EC key on a NIST curve nor RSA of 2048 bits or"
                        + " more");
            }
        }
        return set.toPublicJWKSet();
    }

    HTTPResponse read(String clientId, HTTPRequest req) {
        try {
            OAuthClient c = owner(clientId, ClientReadRequest.parse(req).getAccessToken());
            return new ClientInformationResponse(info(c), false).toHTTPResponse();
        } catch (ParseException e) {
            return unauthorized();
        } catch (OAuthFailure f) {
            return unauthorized();
        }
    }

    HTTPResponse update(String clientId, HTTPRequest req, Peer peer) {
        ClientUpdateRequest r;
        OAuthClient c;
        try {
            r = ClientUpdateRequest.parse(req);
            c = owner(clientId, r.getAccessToken());
        } catch (ParseException | OAuthFailure e) {
            return unauthorized();
        }
        if (r.getClientID() == null || !r.getClientID().getValue().equals(clientId)) {
            return new ClientRegistrationErrorResponse(RegistrationError.INVALID_CLIENT_METADATA.setDescription(
                    "client_id in the body must be " + clientId)).toHTTPResponse();
        }
        Checked checked;
        try {
            checked = check(r.getClientMetadata(), Optional.empty(), peer);
            if (checked.method() != c.authMethod()) {
                throw invalid("token_endpoint_auth_method cannot change; register a new client");
            }
            if (!c.scopes().containsAll(checked.scopes())) {
                throw invalid("scope cannot widen beyond " + ApiScope.join(c.scopes()) + "; register a new client");
            }
            if (checked.method() == OAuthClient.AuthMethod.TLS_CLIENT_AUTH
                    && !checked.thumbprint().equals(c.certThumbprint())) {
                throw invalid("the client certificate cannot change; register a new client");
            }
        } catch (OAuthFailure f) {
            return new ClientRegistrationErrorResponse(f.error()).toHTTPResponse();
        }
        ClientMetadata md = r.getClientMetadata();
        md.setName(checked.name());
        md.setScope(new Scope(ApiScope.join(checked.scopes()).split(" ")));
        md.setGrantTypes(checked.grants());
        md.setTokenEndpointAuthMethod(new ClientAuthenticationMethod(checked.method().wire()));
        md.setCustomField("drawbridge_status", c.status().wire());
        Instant now = clock.instant();
        OAuthClient updated = new OAuthClient(c.clientId(), checked.name(), c.authMethod(), checked.jwks(),
                c.certThumbprint(), checked.scopes(), c.status(), c.nodeId(), c.registrationToken(),
                md.toJSONObject().toJSONString(), c.decision(), c.createdAt(), now, c.revokedBefore());
        if (!clients.replace(updated)) {
            return unauthorized();
        }
        audit.record("oauth.update", updated.name(), "granted", Map.of("client_id", clientId));
        return new ClientInformationResponse(info(updated), false).toHTTPResponse();
    }

    HTTPResponse delete(String clientId, HTTPRequest req) {
        try {
            OAuthClient c = owner(clientId, ClientDeleteRequest.parse(req).getAccessToken());
            clients.remove(c.clientId());
            audit.record("oauth.delete", c.name(), "granted", Map.of("client_id", clientId));
            return new HTTPResponse(204);
        } catch (ParseException | OAuthFailure e) {
            return unauthorized();
        }
    }

    private OAuthClient owner(String clientId, AccessToken token) throws OAuthFailure {
        Optional<OAuthClient> c = clients.find(clientId);
        byte[] presented = sha256(token == null ? "" : token.getValue()).getBytes(StandardCharsets.US_ASCII);
        byte[] expected = c.map(x -> x.registrationToken().getBytes(StandardCharsets.US_ASCII)).orElse(new byte[64]);
        if (c.isEmpty() || token == null || !MessageDigest.isEqual(presented, expected)) {
            throw new OAuthFailure(BearerTokenError.INVALID_TOKEN, "unknown client or wrong registration token");
        }
        return c.get();
    }

    private ClientInformation info(OAuthClient c) {
        try {
            ClientMetadata md = ClientMetadata.parse(JSONValue.parse(c.metadata(),
                    JSONObject.class));
            md.setCustomField("drawbridge_status", c.status().wire());
            return new ClientInformation(new ClientID(c.clientId()), Date.from(c.createdAt()), md, null,
                    settings.endpoint(Endpoints.REGISTER + "/" + c.clientId()), null);
        } catch (ParseException e) {
            throw new IllegalStateException("stored metadata of client " + c.clientId() + " does not parse", e);
        }
    }

    private static HTTPResponse unauthorized() {
        HTTPResponse res = new HTTPResponse(HTTPResponse.SC_UNAUTHORIZED);
        res.setHeader("WWW-Authenticate", BearerTokenError.INVALID_TOKEN.toWWWAuthenticateHeader());
        res.setHeader("Cache-Control", "no-store");
        return res;
    }

    private static OAuthFailure invalid(String why) {
        return new OAuthFailure(RegistrationError.INVALID_CLIENT_METADATA, why);
    }

    private String randomId(int bytes) {
        byte[] b = new byte[bytes];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether the client registered for certificate-bound tokens (RFC 8705 §3.4), from its stored metadata. */
    boolean boundTokens(OAuthClient c) {
        JSONObject md = JSONValue.parse(c.metadata(), JSONObject.class);
        return md != null && Boolean.TRUE.equals(md.get("tls_client_certificate_bound_access_tokens"));
    }

    /** The grant types the client registered for, from its stored metadata. */
    Set<GrantType> grants(OAuthClient c) {
        Set<GrantType> g = info(c).getMetadata().getGrantTypes();
        return g == null ? Set.of(GrantType.CLIENT_CREDENTIALS) : g;
    }
}
