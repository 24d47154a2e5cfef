package dev.drawbridge.oauth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.oauth2.sdk.AccessTokenResponse;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.GeneralException;
import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.as.AuthorizationServerMetadata;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.auth.JWTAuthenticationClaimsSet;
import com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT;
import com.nimbusds.oauth2.sdk.auth.PKITLSClientAuthentication;
import com.nimbusds.oauth2.sdk.client.ClientDeleteRequest;
import com.nimbusds.oauth2.sdk.client.ClientInformation;
import com.nimbusds.oauth2.sdk.client.ClientInformationResponse;
import com.nimbusds.oauth2.sdk.client.ClientMetadata;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationRequest;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationResponse;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.JWTID;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import java.io.IOException;
import java.net.URI;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import net.minidev.json.JSONObject;

/**
 * The calling side of the peer protocol (docs/protocol.md, version 1), shared by controllers and by agents in a
 * management-controller role: find the peer's authorization server (RFC 8414, its issuer must be the URL we were
 * given), register a client there (RFC 7591) asking for certificate-bound tokens (RFC 8705 §3.4), obtain a token by
 * {@code client_credentials}, and read the peer routes, every request over mutual TLS with our client certificate and
 * trusting only the peer's CA. Keys and where they are kept are the caller's business.
 */
public final class PeerClient {
    /** The peer-API version this code speaks. */
    public static final int VERSION = 1;
    /** The routes every version-1 peer answers, under {@code /v1/peer/}. */
    public static final List<String> ROUTES = List.of("identity", "health", "verdict");
    /** The most of a peer's answer we keep in an error message. */
    private static final int ABBREVIATE = 300;
    private static final int TIMEOUT_MS = 10_000;

    /** A peer call that failed, with whose fault it was. */
    public static final class Failure extends RuntimeException {
        /** The operator's input was wrong, the peer is unknown here, or the peer failed or refused. */
        public enum Kind { BAD_INPUT, NOT_FOUND, PEER }

        private final Kind kind;

        public Failure(Kind kind, String message) {
            super(message);
            this.kind = kind;
        }

        public Kind kind() {
            return kind;
        }
    }

    /** Our client at the peer: its id, its registration access token, and the status the peer gave it. */
    public record Registered(String clientId, String registrationToken, String status) {}

    private final URI base;
    private final SSLSocketFactory tls;
    private final AuthorizationServerMetadata metadata;

    private PeerClient(URI base, SSLSocketFactory tls, AuthorizationServerMetadata metadata) {
        this.base = base;
        this.tls = tls;
        this.metadata = metadata;
    }

    /** Reads the peer's authorization server metadata over {@code tls}; its issuer must be {@code url}. */
    public static PeerClient connect(String url, SSLContext tls) {
        URI base = base(url);
        SSLSocketFactory factory = tls.getSocketFactory();
        HTTPResponse res = send(new HTTPRequest(HTTPRequest.Method.GET, URI.create(base
                + "/.well-known/oauth-authorization-server")), factory);
        if (res.getStatusCode() != 200) {
            throw new Failure(Failure.Kind.PEER, base + " has no OAuth authorization server metadata (HTTP "
                    + res.getStatusCode() + ")");
        }
        try {
            AuthorizationServerMetadata md = AuthorizationServerMetadata.parse(res.getBodyAsJSONObject());
            if (!md.getIssuer().getValue().equals(base.toString())) {
                throw new Failure(Failure.Kind.PEER, "the peer's issuer " + md.getIssuer() + " is not " + base);
            }
            return new PeerClient(base, factory, md);
        } catch (GeneralException e) {
            throw new Failure(Failure.Kind.PEER, "the peer's metadata is not RFC 8414: " + e.getMessage());
        }
    }

    /** A peer's base URL: {@code https://host:port} with no path. */
    public static URI base(String url) {
        URI u;
        try {
            u = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        } catch (IllegalArgumentException e) {
            throw new Failure(Failure.Kind.BAD_INPUT, "'" + url + "' is not a URL");
        }
        if (!"https".equals(u.getScheme()) || u.getHost() == null || (u.getPath() != null && !u.getPath().isEmpty())) {
            throw new Failure(Failure.Kind.BAD_INPUT, "a peer URL is https://host:port with no path, not '" + url
                    + "'");
        }
        return u;
    }

    public URI base() {
        return base;
    }

    /** A fresh signing key for {@code private_key_jwt}. */
    public static ECKey newKey() {
        try {
            return new com.nimbusds.jose.jwk.gen.ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE)
                    .algorithm(JWSAlgorithm.ES256).keyIDFromThumbprint(true).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Registers a {@code private_key_jwt} client for scope {@code peer}: its public key carries our certificate chain
     * ({@code x5c}), and it asks for tokens bound to the TLS client certificate.
     */
    public Registered registerKey(String name, ECKey key, List<X509Certificate> chain) {
        List<Base64> x5c = new ArrayList<>();
        try {
            for (X509Certificate c : chain) {
                x5c.add(Base64.encode(c.getEncoded()));
            }
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
        ClientMetadata meta = metadata(name);
        meta.setJWKSet(new JWKSet(new ECKey.Builder(key.toPublicJWK()).x509CertChain(x5c).build()));
        meta.setTokenEndpointAuthMethod(ClientAuthenticationMethod.PRIVATE_KEY_JWT);
        return register(meta);
    }

    /**
     * Registers a {@code tls_client_auth} client for scope {@code peer}: {@code certificate}, the TLS client
     * certificate this client connects with, is the credential (named by its subject DN).
     */
    public Registered registerCertificate(String name, X509Certificate certificate) {
        ClientMetadata meta = metadata(name);
        meta.setTokenEndpointAuthMethod(ClientAuthenticationMethod.TLS_CLIENT_AUTH);
        meta.setTLSClientAuthSubjectDN(certificate.getSubjectX500Principal().getName());
        return register(meta);
    }

    private static ClientMetadata metadata(String name) {
        ClientMetadata meta = new ClientMetadata();
        meta.setName(name);
        meta.setScope(new Scope("peer"));
        meta.setGrantTypes(Set.of(GrantType.CLIENT_CREDENTIALS));
        meta.setTLSClientCertificateBoundAccessTokens(true);
        return meta;
    }

    private Registered register(ClientMetadata meta) {
        HTTPResponse res = send(new ClientRegistrationRequest(metadata.getRegistrationEndpointURI(), meta, null)
                .toHTTPRequest(), tls);
        try {
            ClientRegistrationResponse parsed = ClientRegistrationResponse.parse(res);
            if (!parsed.indicatesSuccess()) {
                var err = parsed.toErrorResponse().getErrorObject();
                throw new Failure(Failure.Kind.PEER, "the peer refused the registration: " + err.getCode() + ": "
                        + err.getDescription());
            }
            ClientInformation info = ((ClientInformationResponse) parsed).getClientInformation();
            Object status = info.getMetadata().getCustomField("drawbridge_status");
            return new Registered(info.getID().getValue(), info.getRegistrationAccessToken() == null ? ""
                    : info.getRegistrationAccessToken().getValue(), status == null ? "enabled" : status.toString());
        } catch (GeneralException e) {
            throw new Failure(Failure.Kind.PEER, "the peer's registration answer is not RFC 7591: " + e.getMessage());
        }
    }

    /** A {@code peer} token for a {@code private_key_jwt} client, asserted with {@code key} at {@code now}. */
    public String token(String clientId, ECKey key, Instant now) {
        URI endpoint = metadata.getTokenEndpointURI();
        try {
            return token(new PrivateKeyJWT(new JWTAuthenticationClaimsSet(new ClientID(clientId),
                    List.of(new Audience(endpoint)), Date.from(now.plusSeconds(60)), null, Date.from(now),
                    new JWTID()), JWSAlgorithm.ES256, key.toECPrivateKey(), key.getKeyID(), null));
        } catch (JOSEException e) {
            throw new Failure(Failure.Kind.PEER, "cannot sign a client assertion: " + e.getMessage());
        }
    }

    /** A {@code peer} token for a {@code tls_client_auth} client (the TLS client certificate authenticates). */
    public String token(String clientId) {
        return token(new PKITLSClientAuthentication(new ClientID(clientId), tls));
    }

    private String token(ClientAuthentication auth) {
        HTTPResponse res = send(new TokenRequest(metadata.getTokenEndpointURI(), auth, new ClientCredentialsGrant(),
                new Scope("peer")).toHTTPRequest(), tls);
        try {
            TokenResponse tr = TokenResponse.parse(res);
            if (!tr.indicatesSuccess()) {
                var err = tr.toErrorResponse().getErrorObject();
                throw new Failure(Failure.Kind.PEER, "the peer refused a token: " + err.getCode() + ": "
                        + err.getDescription());
            }
            return ((AccessTokenResponse) tr).getTokens().getAccessToken().getValue();
        } catch (GeneralException e) {
            throw new Failure(Failure.Kind.PEER, "the peer's token answer is not RFC 6749: " + e.getMessage());
        }
    }

    /**
     * Reads every peer route with {@code token}, in order; a peer that does not list version {@value #VERSION} among
     * the versions it speaks is refused with the reason.
     */
    public Map<String, JSONObject> routes(String token) {
        Map<String, JSONObject> out = new LinkedHashMap<>();
        for (String route : ROUTES) {
            HTTPRequest req = new HTTPRequest(HTTPRequest.Method.GET, URI.create(base + "/v1/peer/" + route));
            req.setAuthorization(new BearerAccessToken(token).toAuthorizationHeader());
            HTTPResponse res = send(req, tls);
            if (res.getStatusCode() != 200) {
                throw new Failure(Failure.Kind.PEER, "GET /v1/peer/" + route + " answered " + res.getStatusCode()
                        + ": " + abbreviate(res.getBody()));
            }
            try {
                out.put(route, res.getBodyAsJSONObject());
            } catch (com.nimbusds.oauth2.sdk.ParseException e) {
                throw new Failure(Failure.Kind.PEER, "GET /v1/peer/" + route + " did not answer a JSON object");
            }
        }
        versionMismatch(out.get("identity").get("versions")).ifPresent(why -> {
            throw new Failure(Failure.Kind.PEER, why);
        });
        return out;
    }

    /**
     * Why a peer whose identity lists {@code versions} cannot be spoken to, or empty when it lists ours. Other fields
     * of the identity, known or not, do not matter.
     */
    public static Optional<String> versionMismatch(Object versions) {
        if (versions instanceof List<?> spoken && spoken.stream().anyMatch(v -> v instanceof Number n
                && n.doubleValue() == VERSION)) {
            return Optional.empty();
        }
        return Optional.of("the peer speaks peer-API versions " + versions + "; this side speaks [" + VERSION + "]");
    }

    /** Deletes our client at the peer (RFC 7592); the problem, if the peer did not confirm it. */
    public Optional<String> delete(String clientId, String registrationToken) {
        HTTPResponse res = send(new ClientDeleteRequest(URI.create(metadata.getRegistrationEndpointURI() + "/"
                + clientId), new BearerAccessToken(registrationToken)).toHTTPRequest(), tls);
        return res.getStatusCode() == 204 ? Optional.empty()
                : Optional.of("the peer answered " + res.getStatusCode() + " to the deletion of our client");
    }

    private static HTTPResponse send(HTTPRequest req, SSLSocketFactory tls) {
        req.setSSLSocketFactory(tls);
        req.setConnectTimeout(TIMEOUT_MS);
        req.setReadTimeout(TIMEOUT_MS);
        try {
            return req.send();
        } catch (IOException e) {
            throw new Failure(Failure.Kind.PEER, "cannot reach " + req.getURI() + ": " + e.getMessage());
        }
    }

    /** At most {@value #ABBREVIATE} characters of {@code s}. */
    public static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        return s.length() > ABBREVIATE ? s.substring(0, ABBREVIATE) + "..." : s;
    }
}
