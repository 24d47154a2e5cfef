package dev.drawbridge.controller.trust;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.oauth2.sdk.AccessTokenResponse;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.GeneralException;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.as.AuthorizationServerMetadata;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.auth.JWTAuthenticationClaimsSet;
import com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT;
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
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.Sealer;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.pki.TlsContexts;
import java.io.IOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.text.ParseException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import javax.net.ssl.SSLSocketFactory;
import net.minidev.json.JSONObject;

/**
 * The controllers this one calls. Adding a peer discovers its authorization server (RFC 8414) over TLS trusting
 * only the CA given for it, registers a client there (RFC 7591, {@code private_key_jwt} with a key made for this
 * peer, scope {@code peer}), and calls its peer API; each later call obtains a fresh token by
 * {@code client_credentials} and records what the peer answered, so a peer that stopped trusting us (a fence, a
 * policy change, a revoked client) shows as refused. Keys and registration tokens are sealed under
 * {@code store.kek}. Owns the {@code peers} table.
 */
public final class PeerService {
    /** A peer as recorded: where, our client there, what it said about itself, and how the last call went. */
    public record Peer(String id, String url, String clientId, Optional<String> peerId, Optional<String> role,
                       Instant addedAt, Optional<Instant> lastContact, Optional<String> lastStatus,
                       Optional<String> lastDetail) {}

    /** A peer that could not be added or called, with the reason and whose fault it was. */
    public static final class PeerException extends RuntimeException {
        /** What went wrong: the operator's input, an unknown peer id, or the peer (unreachable, refusing). */
        public enum Kind { BAD_INPUT, NOT_FOUND, PEER }

        private final Kind kind;

        PeerException(Kind kind, String message) {
            super(message);
            this.kind = kind;
        }

        PeerException(String message) {
            this(Kind.PEER, message);
        }

        public Kind kind() {
            return kind;
        }
    }

    private static final int TIMEOUT_MS = 10_000;
    /** The peer-API version this controller speaks (docs/protocol.md). */
    public static final int VERSION = 1;
    private static final String COLUMNS = "id, url, client_id, peer_id, peer_role, added_at, last_contact_at,"
            + " last_status, last_detail";

    private final Database db;
    private final Sealer sealer;
    private final Clock clock;
    private final String ourName;

    public PeerService(Database db, byte[] kek, Clock clock, X509Certificate ourRoot) {
        this.db = db;
        this.sealer = new Sealer(kek);
        this.clock = clock;
        this.ourName = controllerId(ourRoot);
    }

    /** A controller's id: {@code ctl-} and the first 16 bytes of its root certificate's SHA-256, in hex. */
    public static String controllerId(X509Certificate root) {
        return "ctl-" + rootSha256(root).substring(0, 32);
    }

    /** The SHA-256 of a root certificate's DER, in hex. */
    public static String rootSha256(X509Certificate root) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(root.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Registers with the peer at {@code url}, whose TLS certificates chain to {@code caPem}, and calls it once. */
    public Peer add(String url, String caPem) {
        URI base = base(url);
        List<X509Certificate> roots;
        try {
            roots = Pem.certificates(caPem);
        } catch (RuntimeException e) {
            throw new PeerException(PeerException.Kind.BAD_INPUT, "the peer's CA is not a PEM certificate: "
                    + e.getMessage());
        }
        if (roots.isEmpty()) {
            throw new PeerException(PeerException.Kind.BAD_INPUT, "the peer's CA file holds no certificate");
        }
        SSLSocketFactory tls = TlsContexts.trusting(roots).getSocketFactory();
        AuthorizationServerMetadata md = metadata(base, tls);
        ECKey key;
        try {
            key = new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
                    .keyIDFromThumbprint(true).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        ClientMetadata meta = new ClientMetadata();
        meta.setName("controller " + ourName);
        meta.setJWKSet(new JWKSet(key.toPublicJWK()));
        meta.setScope(new Scope("peer"));
        meta.setGrantTypes(Set.of(GrantType.CLIENT_CREDENTIALS));
        meta.setTokenEndpointAuthMethod(ClientAuthenticationMethod.PRIVATE_KEY_JWT);
        HTTPResponse res = send(new ClientRegistrationRequest(md.getRegistrationEndpointURI(), meta, null)
                .toHTTPRequest(), tls);
        ClientInformation info;
        try {
            ClientRegistrationResponse parsed = ClientRegistrationResponse.parse(res);
            if (!parsed.indicatesSuccess()) {
                throw new PeerException("the peer refused the registration: " + parsed.toErrorResponse()
                        .getErrorObject().getCode() + ": " + parsed.toErrorResponse().getErrorObject().getDescription());
            }
            info = ((ClientInformationResponse) parsed).getClientInformation();
        } catch (GeneralException e) {
            throw new PeerException("the peer's registration answer is not RFC 7591: " + e.getMessage());
        }
        String id = UUID.randomUUID().toString();
        Instant now = clock.instant();
        String registrationToken = info.getRegistrationAccessToken() == null ? ""
                : info.getRegistrationAccessToken().getValue();
        db.inTransaction(h -> h.createUpdate("INSERT INTO peers (id, url, ca_pem, client_id, sealed_key,"
                        + " sealed_reg_token, added_at) VALUES (:id, :url, :ca, :client, :key, :reg, :at)")
                .bind("id", id).bind("url", base.toString()).bind("ca", caPem).bind("client", info.getID().getValue())
                .bind("key", sealer.seal("peer-key " + id, key.toJSONString().getBytes(StandardCharsets.UTF_8)))
                .bind("reg", sealer.seal("peer-reg " + id, registrationToken.getBytes(StandardCharsets.UTF_8)))
                .bind("at", now.toEpochMilli()).execute());
        Object status = info.getMetadata().getCustomField("drawbridge_status");
        if (status != null && !"enabled".equals(status)) {
            record(id, "waiting", "the peer's trust policy answered " + status + "; an operator there must approve"
                    + " client " + info.getID().getValue());
            return find(id).orElseThrow();
        }
        call(id);
        return find(id).orElseThrow();
    }

    /** Calls the peer's identity, health and verdict routes with a fresh token; records and returns what it said. */
    public Map<String, Object> call(String id) {
        Row row = row(id);
        SSLSocketFactory tls = TlsContexts.trusting(Pem.certificates(row.caPem())).getSocketFactory();
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            AuthorizationServerMetadata md = metadata(URI.create(row.url()), tls);
            String token = token(md, row, tls);
            for (String route : List.of("identity", "health", "verdict")) {
                HTTPRequest req = new HTTPRequest(HTTPRequest.Method.GET, URI.create(row.url() + "/v1/peer/" + route));
                req.setAuthorization(new BearerAccessToken(token).toAuthorizationHeader());
                HTTPResponse res = send(req, tls);
                if (res.getStatusCode() != 200) {
                    throw new PeerException("GET /v1/peer/" + route + " answered " + res.getStatusCode() + ": "
                            + abbreviate(res.getBody()));
                }
                out.put(route, res.getBodyAsJSONObject());
            }
        } catch (PeerException | GeneralException e) {
            record(id, "refused", e.getMessage());
            throw new PeerException(PeerException.Kind.PEER, e.getMessage());
        }
        JSONObject identity = (JSONObject) out.get("identity");
        Optional<String> mismatch = versionMismatch(identity.get("versions"));
        if (mismatch.isPresent()) {
            record(id, "refused", mismatch.get());
            throw new PeerException(PeerException.Kind.PEER, mismatch.get());
        }
        db.inTransaction(h -> h.createUpdate("UPDATE peers SET peer_id = :pid, peer_role = :role WHERE id = :id")
                .bind("pid", String.valueOf(identity.get("id"))).bind("role", String.valueOf(identity.get("role")))
                .bind("id", id).execute());
        record(id, "ok", "identity, health and verdict answered");
        return out;
    }

    /**
     * Why a peer whose identity lists {@code versions} cannot be spoken to, or empty when it lists ours. Other fields
     * of the identity, known or not, do not matter.
     */
    static Optional<String> versionMismatch(Object versions) {
        if (versions instanceof List<?> spoken && spoken.stream().anyMatch(v -> v instanceof Number n
                && n.doubleValue() == VERSION)) {
            return Optional.empty();
        }
        return Optional.of("the peer speaks peer-API versions " + versions + "; this controller speaks [" + VERSION
                + "]");
    }

    /** Deletes our client at the peer (RFC 7592; a failure there is reported, not fatal) and forgets the peer. */
    public Optional<String> remove(String id) {
        Row row = row(id);
        Optional<String> problem = Optional.empty();
        try {
            String reg = new String(sealer.open("peer-reg " + id, row.sealedRegToken()), StandardCharsets.UTF_8);
            SSLSocketFactory tls = TlsContexts.trusting(Pem.certificates(row.caPem())).getSocketFactory();
            AuthorizationServerMetadata md = metadata(URI.create(row.url()), tls);
            HTTPResponse res = send(new ClientDeleteRequest(URI.create(md.getRegistrationEndpointURI() + "/"
                    + row.clientId()), new BearerAccessToken(reg)).toHTTPRequest(), tls);
            if (res.getStatusCode() != 204) {
                problem = Optional.of("the peer answered " + res.getStatusCode() + " to the deletion of our client");
            }
        } catch (RuntimeException e) {
            problem = Optional.of("could not delete our client at the peer: " + e.getMessage());
        }
        db.inTransaction(h -> h.createUpdate("DELETE FROM peers WHERE id = :id").bind("id", id).execute());
        return problem;
    }

    public List<Peer> list() {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM peers ORDER BY added_at, id")
                .map((rs, ctx) -> peer(rs)).list());
    }

    public Optional<Peer> find(String id) {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM peers WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> peer(rs)).findFirst());
    }

    private record Row(String id, String url, String caPem, String clientId, String sealedKey, String sealedRegToken) {}

    private Row row(String id) {
        return db.read(h -> h.createQuery("SELECT url, ca_pem, client_id, sealed_key, sealed_reg_token FROM peers"
                        + " WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> new Row(id, rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5))).findFirst())
                .orElseThrow(() -> new PeerException(PeerException.Kind.NOT_FOUND, "no peer '" + id + "'"));
    }

    private String token(AuthorizationServerMetadata md, Row row, SSLSocketFactory tls) {
        try {
            ECKey key = ECKey.parse(new String(sealer.open("peer-key " + row.id(), row.sealedKey()),
                    StandardCharsets.UTF_8));
            Instant now = clock.instant();
            URI endpoint = md.getTokenEndpointURI();
            PrivateKeyJWT auth = new PrivateKeyJWT(new JWTAuthenticationClaimsSet(new ClientID(row.clientId()),
                    List.of(new Audience(endpoint)), Date.from(now.plusSeconds(60)), null, Date.from(now),
                    new JWTID()), JWSAlgorithm.ES256, key.toECPrivateKey(), key.getKeyID(), null);
            HTTPResponse res = send(new TokenRequest(endpoint, auth, new ClientCredentialsGrant(), new Scope("peer"))
                    .toHTTPRequest(), tls);
            TokenResponse tr = TokenResponse.parse(res);
            if (!tr.indicatesSuccess()) {
                throw new PeerException("the peer refused a token: " + tr.toErrorResponse().getErrorObject().getCode()
                        + ": " + tr.toErrorResponse().getErrorObject().getDescription());
            }
            return ((AccessTokenResponse) tr).getTokens().getAccessToken().getValue();
        } catch (ParseException | GeneralException | JOSEException e) {
            throw new PeerException("cannot obtain a token from the peer: " + e.getMessage());
        }
    }

    private AuthorizationServerMetadata metadata(URI base, SSLSocketFactory tls) {
        HTTPResponse res = send(new HTTPRequest(HTTPRequest.Method.GET, URI.create(base
                + "/.well-known/oauth-authorization-server")), tls);
        if (res.getStatusCode() != 200) {
            throw new PeerException(base + " has no OAuth authorization server metadata (HTTP " + res.getStatusCode()
                    + ")");
        }
        try {
            AuthorizationServerMetadata md = AuthorizationServerMetadata.parse(res.getBodyAsJSONObject());
            if (!md.getIssuer().getValue().equals(base.toString())) {
                throw new PeerException("the peer's issuer " + md.getIssuer() + " is not " + base);
            }
            return md;
        } catch (GeneralException e) {
            throw new PeerException("the peer's metadata is not RFC 8414: " + e.getMessage());
        }
    }

    private static HTTPResponse send(HTTPRequest req, SSLSocketFactory tls) {
        req.setSSLSocketFactory(tls);
        req.setConnectTimeout(TIMEOUT_MS);
        req.setReadTimeout(TIMEOUT_MS);
        try {
            return req.send();
        } catch (IOException e) {
            throw new PeerException("cannot reach " + req.getURI() + ": " + e.getMessage());
        }
    }

    private void record(String id, String status, String detail) {
        db.inTransaction(h -> h.createUpdate("UPDATE peers SET last_contact_at = :at, last_status = :s,"
                        + " last_detail = :d WHERE id = :id").bind("at", clock.instant().toEpochMilli())
                .bind("s", status).bind("d", abbreviate(detail)).bind("id", id).execute());
    }

    private static URI base(String url) {
        URI u;
        try {
            u = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        } catch (IllegalArgumentException e) {
            throw new PeerException(PeerException.Kind.BAD_INPUT, "'" + url + "' is not a URL");
        }
        if (!"https".equals(u.getScheme()) || u.getHost() == null || (u.getPath() != null && !u.getPath().isEmpty())) {
            throw new PeerException(PeerException.Kind.BAD_INPUT, "a peer URL is https://host:port with no path, not '"
                    + url + "'");
        }
        return u;
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    private static Peer peer(ResultSet rs) throws SQLException {
        long contact = rs.getLong("last_contact_at");
        Optional<Instant> last = rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(contact));
        return new Peer(rs.getString("id"), rs.getString("url"), rs.getString("client_id"),
                Optional.ofNullable(rs.getString("peer_id")), Optional.ofNullable(rs.getString("peer_role")),
                Instant.ofEpochMilli(rs.getLong("added_at")), last, Optional.ofNullable(rs.getString("last_status")),
                Optional.ofNullable(rs.getString("last_detail")));
    }
}
