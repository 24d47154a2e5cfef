package dev.drawbridge.controller.trust;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.ECKey;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.Sealer;
import dev.drawbridge.oauth.PeerClient;
import dev.drawbridge.oauth.PeerClient.Failure;
import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.pki.TlsContexts;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import net.minidev.json.JSONObject;

/**
 * The peers this controller calls: other controllers, and agents in a management-controller role. Adding a peer
 * makes a key and a client certificate for it from our CA, discovers its authorization server (RFC 8414) over mutual
 * TLS trusting only the CA given for it, registers a {@code private_key_jwt} client there (RFC 7591, scope
 * {@code peer}, the certificate in the key's {@code x5c}, certificate-bound tokens), and calls its peer API; each
 * later call obtains a fresh token bound to that certificate and records what the peer answered, so a peer that
 * stopped trusting us (a fence, a policy change, a revoked client) shows as refused. The certificate is renewed, same
 * key, once two-thirds of its life has passed. Keys and registration tokens are sealed under {@code store.kek}.
 * Owns the {@code peers} table. The wire side is {@link PeerClient}.
 */
public final class PeerService {
    /** A peer as recorded: where, our client there, what it said about itself, and how the last call went. */
    public record Peer(String id, String url, String clientId, Optional<String> peerId, Optional<String> role,
                       Instant addedAt, Optional<Instant> lastContact, Optional<String> lastStatus,
                       Optional<String> lastDetail) {}

    /** The peer-API version this controller speaks (docs/protocol.md). */
    public static final int VERSION = PeerClient.VERSION;
    private static final String COLUMNS = "id, url, client_id, peer_id, peer_role, added_at, last_contact_at,"
            + " last_status, last_detail";

    private final Database db;
    private final Sealer sealer;
    private final Clock clock;
    private final CertificateAuthority ca;
    private final String ourName;

    public PeerService(Database db, byte[] kek, Clock clock, CertificateAuthority ca) {
        this.db = db;
        this.sealer = new Sealer(kek);
        this.clock = clock;
        this.ca = ca;
        this.ourName = controllerId(ca.root());
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
        PeerClient.base(url);
        List<X509Certificate> roots;
        try {
            roots = Pem.certificates(caPem);
        } catch (RuntimeException e) {
            throw new Failure(Failure.Kind.BAD_INPUT, "the peer's CA is not a PEM certificate: " + e.getMessage());
        }
        if (roots.isEmpty()) {
            throw new Failure(Failure.Kind.BAD_INPUT, "the peer's CA file holds no certificate");
        }
        ECKey key = PeerClient.newKey();
        X509Certificate cert = certificate(key);
        PeerClient peer = PeerClient.connect(url, tls(roots, key, cert));
        PeerClient.Registered reg = peer.registerKey("controller " + ourName, key, List.of(cert, ca.root()));
        String id = UUID.randomUUID().toString();
        db.inTransaction(h -> h.createUpdate("INSERT INTO peers (id, url, ca_pem, client_id, sealed_key,"
                        + " sealed_reg_token, client_cert_pem, added_at) VALUES (:id, :url, :ca, :client, :key, :reg,"
                        + " :cert, :at)")
                .bind("id", id).bind("url", peer.base().toString()).bind("ca", caPem).bind("client", reg.clientId())
                .bind("key", sealer.seal("peer-key " + id, key.toJSONString().getBytes(StandardCharsets.UTF_8)))
                .bind("reg", sealer.seal("peer-reg " + id, reg.registrationToken().getBytes(StandardCharsets.UTF_8)))
                .bind("cert", Pem.certificate(cert)).bind("at", clock.instant().toEpochMilli()).execute());
        if (!"enabled".equals(reg.status())) {
            record(id, "waiting", "the peer's trust policy answered " + reg.status() + "; an operator there must"
                    + " approve client " + reg.clientId());
            return find(id).orElseThrow();
        }
        call(id);
        return find(id).orElseThrow();
    }

    /** Calls the peer's identity, health and verdict routes with a fresh token; records and returns what it said. */
    public Map<String, Object> call(String id) {
        Row row = row(id);
        Map<String, JSONObject> answers;
        try {
            ECKey key = key(row);
            PeerClient peer = PeerClient.connect(row.url(), tls(Pem.certificates(row.caPem()), key,
                    currentCertificate(row, key)));
            answers = peer.routes(peer.token(row.clientId(), key, clock.instant()));
        } catch (Failure e) {
            record(id, "refused", e.getMessage());
            throw e;
        }
        JSONObject identity = answers.get("identity");
        db.inTransaction(h -> h.createUpdate("UPDATE peers SET peer_id = :pid, peer_role = :role WHERE id = :id")
                .bind("pid", String.valueOf(identity.get("id"))).bind("role", String.valueOf(identity.get("role")))
                .bind("id", id).execute());
        record(id, "ok", "identity, health and verdict answered");
        return new LinkedHashMap<>(answers);
    }

    /** Deletes our client at the peer (RFC 7592; a failure there is reported, not fatal) and forgets the peer. */
    public Optional<String> remove(String id) {
        Row row = row(id);
        Optional<String> problem;
        try {
            String reg = new String(sealer.open("peer-reg " + id, row.sealedRegToken()), StandardCharsets.UTF_8);
            ECKey key = key(row);
            problem = PeerClient.connect(row.url(), tls(Pem.certificates(row.caPem()), key,
                    currentCertificate(row, key))).delete(row.clientId(), reg);
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

    private record Row(String id, String url, String caPem, String clientId, String sealedKey, String sealedRegToken,
                       Optional<String> certPem) {}

    private Row row(String id) {
        return db.read(h -> h.createQuery("SELECT url, ca_pem, client_id, sealed_key, sealed_reg_token,"
                        + " client_cert_pem FROM peers WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> new Row(id, rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), Optional.ofNullable(rs.getString(6)))).findFirst())
                .orElseThrow(() -> new Failure(Failure.Kind.NOT_FOUND, "no peer '" + id + "'"));
    }

    private ECKey key(Row row) {
        try {
            return ECKey.parse(new String(sealer.open("peer-key " + row.id(), row.sealedKey()),
                    StandardCharsets.UTF_8));
        } catch (ParseException e) {
            throw new IllegalStateException("the sealed key of peer " + row.id() + " does not parse", e);
        }
    }

    /**
     * The client certificate for the peer's key: the stored one while less than two-thirds of its life has passed,
     * else a new one for the same key (kept for the next call). A new certificate needs no change at the peer: tokens
     * are bound to the certificate shown when they are issued.
     */
    private X509Certificate currentCertificate(Row row, ECKey key) {
        if (row.certPem().isPresent()) {
            X509Certificate cert = Pem.certificate(row.certPem().get());
            Instant from = cert.getNotBefore().toInstant();
            Duration life = Duration.between(from, cert.getNotAfter().toInstant());
            if (clock.instant().isBefore(from.plus(life.multipliedBy(2).dividedBy(3)))) {
                return cert;
            }
        }
        X509Certificate fresh = certificate(key);
        db.inTransaction(h -> h.createUpdate("UPDATE peers SET client_cert_pem = :cert WHERE id = :id")
                .bind("cert", Pem.certificate(fresh)).bind("id", row.id()).execute());
        return fresh;
    }

    private X509Certificate certificate(ECKey key) {
        try {
            return ca.issue(new IssueRequest(Profile.CONTROLLER, ourName, List.of(), List.of(), key.toPublicKey()))
                    .certificate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private SSLContext tls(List<X509Certificate> roots, ECKey key, X509Certificate cert) {
        try {
            return TlsContexts.mutual(roots, key.toPrivateKey(), List.of(cert, ca.root()));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private void record(String id, String status, String detail) {
        db.inTransaction(h -> h.createUpdate("UPDATE peers SET last_contact_at = :at, last_status = :s,"
                        + " last_detail = :d WHERE id = :id").bind("at", clock.instant().toEpochMilli())
                .bind("s", status).bind("d", PeerClient.abbreviate(detail)).bind("id", id).execute());
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
