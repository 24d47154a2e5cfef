package dev.drawbridge.controller.media;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.config.FencingConfig;
import dev.drawbridge.controller.enroll.EnrollmentService;
import dev.drawbridge.controller.enroll.TicketSecret;
import dev.drawbridge.controller.inventory.Inventory;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.power.BmcTarget;
import dev.drawbridge.controller.power.BmcTargets;
import dev.drawbridge.controller.power.PowerException;
import dev.drawbridge.controller.power.VirtualMedia;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.pki.Jws;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redfish virtual-media bootstrap channel. For a node, it makes a poll-mode payload (a new one-time ticket),
 * packs it into a {@link ConfigDrive}, and serves the image at {@code /v1/media/{token}}: a URL with 256 random bits,
 * good for one fetch and for {@code enrollment.media-url-lifetime}. It then has the node's BMC insert that URL
 * ({@code VirtualMedia.InsertMedia}). A sweep ejects the image once the payload's ticket has enrolled the node, or
 * once the URL expired unfetched, or once the payload itself expired; an eject that fails is tried again at the next
 * sweep, up to {@link #MAX_EJECT_ATTEMPTS}. Owns the {@code virtual_media} table, which keeps only the token's
 * SHA-256; the image (it holds the ticket) stays in this process's memory until fetched or ejected, so a restart
 * voids an unfetched URL (its fetch answers 410) and the sweep still ejects what was inserted.
 */
public final class VirtualMediaService {
    private static final Logger LOG = LoggerFactory.getLogger(VirtualMediaService.class);
    public static final int MAX_EJECT_ATTEMPTS = 10;
    /** An insertion still marked as in progress after this long was cut short by a crash: the sweep ejects it. */
    static final Duration STALE_INSERT = Duration.ofMinutes(2);
    private static final String COLUMNS = "id, node_id, token_sha256, ticket_id, bmc, state, bytes, created_at,"
            + " expires_at, fetched_at, fetched_by, ejected_at, attempts, detail, holder";

    /** One insertion, as recorded. {@code state}: inserting, inserted, ejected, failed or eject-failed. */
    public record Session(String id, String nodeId, String ticketId, String bmc, String state, long bytes,
                          Instant createdAt,
                          Instant expiresAt, Optional<Instant> fetchedAt, Optional<String> fetchedBy,
                          Optional<Instant> ejectedAt, int attempts, String detail, String holder) {
        public boolean active() {
            return state.equals("inserting") || state.equals("inserted");
        }
    }

    /** An insertion that the BMC accepted, and the one-time URL it was given. */
    public record Inserted(Session session, String url) {}

    /** A refused request: the HTTP status, a problem type and what to do. */
    public static final class Refused extends RuntimeException {
        private final int status;
        private final String type;

        Refused(int status, String type, String message) {
            super(message);
            this.status = status;
            this.type = type;
        }

        public int status() {
            return status;
        }

        public String type() {
            return type;
        }
    }

    private final Database db;
    private final Inventory inventory;
    private final EnrollmentService enrollment;
    private final VirtualMedia media;
    private final FencingConfig bmc;
    private final Duration urlLifetime;
    private final Supplier<String> baseUrl;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, byte[]> images = new ConcurrentHashMap<>();
    private final String self;
    private final Predicate<String> holderAlive;

    /**
     * {@code self} is this controller run's cluster member id, recorded as the holder of each image it makes (images
     * live in memory only); {@code holderAlive} says whether a run is still alive, so the sweep ejects an image whose
     * holder restarted or died before the BMC fetched it.
     */
    public VirtualMediaService(Database db, Inventory inventory, EnrollmentService enrollment, VirtualMedia media,
                               FencingConfig bmc, Duration urlLifetime, Supplier<String> baseUrl, Clock clock,
                               String self, Predicate<String> holderAlive) {
        this.self = self;
        this.holderAlive = holderAlive;
        this.db = db;
        this.inventory = inventory;
        this.enrollment = enrollment;
        this.media = media;
        this.bmc = bmc;
        this.urlLifetime = urlLifetime;
        this.baseUrl = baseUrl;
        this.clock = clock;
    }

    /**
     * Makes the payload and the image, and has the node's BMC insert the image's one-time URL. Refused: no such
     * node (404), no BMC address or password (409), an image already inserted (409, eject it first), no xorriso
     * (503), the BMC refused or could not be reached (502; the URL is then void).
     */
    public Inserted insert(String nodeIdOrName, String actor) {
        Node node = inventory.find(nodeIdOrName).orElseThrow(() -> new Refused(404, "not-found",
                "no node '" + nodeIdOrName + "'"));
        BmcTarget target = target(node);
        if (sessions(node.id()).stream().anyMatch(Session::active)) {
            throw new Refused(409, "media-inserted", node.name() + " already has an image inserted: eject it first"
                    + " (DELETE /v1/nodes/" + node.name() + "/virtual-media)");
        }
        String payload = enrollment.pollPayload(node.id(), actor);
        byte[] image;
        try {
            image = ConfigDrive.image(payload);
        } catch (IllegalStateException e) {
            throw new Refused(503, "media-unavailable", e.getMessage());
        } catch (IOException e) {
            throw new Refused(503, "media-unavailable", "cannot make the config drive: " + e.getMessage());
        }
        String ticketId = ticketId(payload);
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        String id = UUID.randomUUID().toString();
        Instant now = clock.instant();
        Instant expires = now.plus(urlLifetime);
        String where = target.host() + ":" + target.port();
        db.inTransaction(h -> h.createUpdate("INSERT INTO virtual_media (" + COLUMNS + ") VALUES (:id, :node, :hash,"
                        + " :ticket, :bmc, 'inserting', :bytes, :now, :expires, NULL, NULL, NULL, 0, '', :holder)")
                .bind("id", id).bind("node", node.id()).bind("hash", sha256(token)).bind("ticket", ticketId)
                .bind("bmc", where).bind("bytes", (long) image.length).bind("now", now.toEpochMilli())
                .bind("expires", expires.toEpochMilli()).bind("holder", self).execute());
        images.put(id, image);
        String url = baseUrl.get() + "/v1/media/" + token;
        try {
            media.insert(target, url);
        } catch (PowerException e) {
            images.remove(id);
            // A BMC may echo the image URL in its error: the token never goes into the store, the audit or the answer.
            String reason = String.valueOf(e.getMessage()).replace(token, "<token>");
            db.inTransaction(h -> h.createUpdate("UPDATE virtual_media SET state = 'failed', detail = :d WHERE id = :id")
                    .bind("d", reason).bind("id", id).execute());
            audit("media.insert", node.name(), "failed", Map.of("bmc", where, "reason", reason));
            throw new Refused(502, "bmc-failed", "the BMC at " + where + " did not insert the image: " + reason);
        }
        db.inTransaction(h -> h.createUpdate("UPDATE virtual_media SET state = 'inserted' WHERE id = :id"
                + " AND state = 'inserting'").bind("id", id).execute());
        audit("media.insert", node.name(), "granted", Map.of("bmc", where, "bytes", Integer.toString(image.length),
                "expires_at", expires.toString(), "actor", actor));
        LOG.info("virtual media for {} inserted at {} ({} bytes, URL good until {})", node.name(), where,
                image.length, expires);
        return new Inserted(find(id).orElseThrow(), url);
    }

    /**
     * The image for a one-time URL token, once: the first fetch within the lifetime gets it; a second fetch, a late
     * one, or one after the image was ejected gets 410, and an unknown token 404. {@code from} is the fetcher's
     * address, recorded and audited.
     */
    public byte[] fetch(String token, String from) {
        String hash = sha256(token);
        Instant now = clock.instant();
        Optional<Session> found = db.read(h -> h.createQuery("SELECT " + COLUMNS
                + " FROM virtual_media WHERE token_sha256 = :hash").bind("hash", hash).map((rs, c) -> session(rs))
                .findFirst());
        if (found.isEmpty()) {
            throw new Refused(404, "not-found", "no such media: the URL is unknown");
        }
        Session s = found.get();
        String refusal = s.fetchedAt().isPresent() ? "already fetched (from " + s.fetchedBy().orElse("?")
                + "): the URL serves one fetch"
                : !s.active() ? "the image was " + s.state() + ": the URL is void"
                : !now.isBefore(s.expiresAt()) ? "the URL expired at " + s.expiresAt()
                // Images live in memory: one made by an earlier run of this controller (or another member) is lost.
                : !images.containsKey(s.id()) ? "the controller that made this image restarted or is another one:"
                        + " insert it again"
                : null;
        if (refusal == null) {
            int claimed = db.inTransaction(h -> h.createUpdate("UPDATE virtual_media SET fetched_at = :now,"
                            + " fetched_by = :from WHERE id = :id AND fetched_at IS NULL")
                    .bind("now", now.toEpochMilli()).bind("from", from).bind("id", s.id()).execute());
            refusal = claimed == 1 ? null : "already fetched: the URL serves one fetch";
        }
        String node = inventory.find(s.nodeId()).map(Node::name).orElse(s.nodeId());
        if (refusal != null) {
            audit("media.fetch", node, "refused", Map.of("from", from, "reason", refusal));
            throw new Refused(410, "media-gone", refusal);
        }
        byte[] image = images.remove(s.id());
        if (image == null) { // ejected between the check and the claim
            String why = "the image was ejected: the URL is void";
            audit("media.fetch", node, "refused", Map.of("from", from, "reason", why));
            throw new Refused(410, "media-gone", why);
        }
        audit("media.fetch", node, "granted", Map.of("from", from, "bytes", Integer.toString(image.length)));
        return image;
    }

    /** The node's insertions, newest first. */
    public List<Session> sessions(String nodeIdOrName) {
        Node node = inventory.find(nodeIdOrName).orElseThrow(() -> new Refused(404, "not-found",
                "no node '" + nodeIdOrName + "'"));
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM virtual_media WHERE node_id = :node"
                + " ORDER BY created_at DESC, id").bind("node", node.id()).map((rs, c) -> session(rs)).list());
    }

    /** Ejects the node's inserted image now (an operator's call); 404 when none is inserted, 502 when the BMC fails. */
    public Session eject(String nodeIdOrName, String actor) {
        Session active = sessions(nodeIdOrName).stream().filter(Session::active).findFirst().orElseThrow(() ->
                new Refused(404, "not-found", "no image is inserted for " + nodeIdOrName));
        Optional<String> failure = ejectNow(active, inventory.find(active.nodeId()), "ejected by " + actor);
        if (failure.isPresent()) {
            throw new Refused(502, "bmc-failed", "the BMC at " + active.bmc() + " did not eject: " + failure.get());
        }
        return find(active.id()).orElseThrow();
    }

    /**
     * One pass of the eject duty: every inserted image whose node has enrolled with its ticket, whose URL expired
     * unfetched, whose payload expired, or whose node is gone, is ejected. Returns how many were ejected.
     */
    public int sweep() {
        Instant now = clock.instant();
        List<Session> open = db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM virtual_media WHERE state IN"
                + " ('inserting', 'inserted') ORDER BY created_at").map((rs, c) -> session(rs)).list());
        int ejected = 0;
        for (Session s : open) {
            if (s.state().equals("inserting") && now.isBefore(s.createdAt().plus(STALE_INSERT))) {
                continue; // an insert call is still in flight
            }
            Optional<Node> node = inventory.find(s.nodeId());
            Optional<String> why = ejectReason(s, node, now);
            if (why.isPresent() && ejectNow(s, node, why.get()).isEmpty()) {
                ejected++;
            }
        }
        return ejected;
    }

    private Optional<String> ejectReason(Session s, Optional<Node> node, Instant now) {
        if (node.isEmpty()) {
            return Optional.of("the node was deleted");
        }
        if (s.fetchedAt().isEmpty() && !s.holder().equals(self) && !holderAlive.test(s.holder())) {
            return Optional.of("the controller holding the image restarted or stopped before the BMC fetched it");
        }
        if (enrollment.ticketUsed(s.ticketId())) {
            return Optional.of("the node enrolled");
        }
        if (s.fetchedAt().isEmpty() && !now.isBefore(s.expiresAt())) {
            return Optional.of("the URL expired unfetched");
        }
        if (!now.isBefore(s.createdAt().plus(enrollment.ticketLifetime()))) {
            return Optional.of("the payload's ticket expired");
        }
        return Optional.empty();
    }

    /** Ejects and records the outcome; the failure's reason, if the BMC did not eject. */
    private Optional<String> ejectNow(Session s, Optional<Node> found, String why) {
        String node = found.map(Node::name).orElse(s.nodeId());
        try {
            Node n = found.orElseThrow(() -> new IllegalStateException(
                    "the node is gone, so its BMC credentials are too"));
            media.eject(target(n));
        } catch (PowerException | IllegalStateException | Refused e) {
            int attempts = s.attempts() + 1;
            boolean giveUp = attempts >= MAX_EJECT_ATTEMPTS || !(e instanceof PowerException);
            db.inTransaction(h -> h.createUpdate("UPDATE virtual_media SET attempts = :n, detail = :d, state = :st"
                            + " WHERE id = :id").bind("n", attempts).bind("d", why + "; eject failed: " + e.getMessage())
                    .bind("st", giveUp ? "eject-failed" : s.state()).bind("id", s.id()).execute());
            if (giveUp) {
                audit("media.eject", node, "failed", Map.of("bmc", s.bmc(), "reason", e.getMessage(),
                        "attempts", Integer.toString(attempts)));
                LOG.warn("virtual media for {} at {} could not be ejected ({}); eject it by hand", node, s.bmc(),
                        e.getMessage());
            }
            return Optional.of(e.getMessage());
        }
        images.remove(s.id());
        db.inTransaction(h -> h.createUpdate("UPDATE virtual_media SET state = 'ejected', detail = :d, ejected_at = :at"
                + " WHERE id = :id").bind("d", why).bind("at", clock.instant().toEpochMilli()).bind("id", s.id())
                .execute());
        audit("media.eject", node, "granted", Map.of("bmc", s.bmc(), "reason", why));
        LOG.info("virtual media for {} ejected at {}: {}", node, s.bmc(), why);
        return Optional.empty();
    }

    private BmcTarget target(Node node) {
        try {
            return BmcTargets.of(node, bmc, 443);
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new Refused(409, "no-bmc", e.getMessage() + ": set the node's bmc_address (and its BMC login, or"
                    + " fencing.bmc-username and fencing.bmc-password-file)");
        }
    }

    private Optional<Session> find(String id) {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM virtual_media WHERE id = :id").bind("id", id)
                .map((rs, c) -> session(rs)).findFirst());
    }

    private void audit(String kind, String subject, String outcome, Map<String, String> detail) {
        inventory.record(List.of(new Inventory.AuditEntry(kind, subject, outcome, new LinkedHashMap<>(detail))));
    }

    private static String ticketId(String payload) {
        try {
            JsonNode claims = Wire.JSON.readTree(Jws.unverifiedPayload(payload).orElseThrow());
            return TicketSecret.parse(claims.path("ticket").asText()).orElseThrow().id();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("the payload we made has no readable ticket", e);
        }
    }

    static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Session session(ResultSet rs) throws SQLException {
        long fetched = rs.getLong("fetched_at");
        boolean hasFetched = !rs.wasNull();
        long ejected = rs.getLong("ejected_at");
        boolean hasEjected = !rs.wasNull();
        return new Session(rs.getString("id"), rs.getString("node_id"), rs.getString("ticket_id"), rs.getString("bmc"),
                rs.getString("state"),
                rs.getLong("bytes"), Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("expires_at")),
                hasFetched ? Optional.of(Instant.ofEpochMilli(fetched)) : Optional.empty(),
                Optional.ofNullable(rs.getString("fetched_by")),
                hasEjected ? Optional.of(Instant.ofEpochMilli(ejected)) : Optional.empty(),
                rs.getInt("attempts"), rs.getString("detail"), rs.getString("holder"));
    }
}
