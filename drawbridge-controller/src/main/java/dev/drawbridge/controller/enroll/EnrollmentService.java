package dev.drawbridge.controller.enroll;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.drawbridge.controller.enroll.EnrollmentRefused.Reason;
import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.inventory.NodeState;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.pki.CsrRejected;
import dev.drawbridge.pki.CsrRequest;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.IssuedCertificate;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.protocol.TicketProof;
import dev.drawbridge.protocol.Wire;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Enrollment: one-time tickets, and certificates issued only to a CSR that proves a ticket and asks for
 * the identity inventory expects. Every decision, granted or refused, goes to the audit trail; a refusal
 * changes nothing else (the ticket stays unused).
 */
public final class EnrollmentService {
    private final Database db;
    private final CertificateAuthority ca;
    private final NodeRepository nodes;
    private final TicketRepository tickets;
    private final CertificateRepository certificates;
    private final AuditLog audit;
    private final Clock clock;
    private final Duration defaultTicketLifetime;

    public EnrollmentService(Database db, CertificateAuthority ca, NodeRepository nodes, TicketRepository tickets,
                             CertificateRepository certificates, AuditLog audit, Clock clock,
                             Duration defaultTicketLifetime) {
        this.db = db;
        this.ca = ca;
        this.nodes = nodes;
        this.tickets = tickets;
        this.certificates = certificates;
        this.audit = audit;
        this.clock = clock;
        this.defaultTicketLifetime = defaultTicketLifetime;
    }

    /** How long a ticket lasts when no lifetime is asked for ({@code enrollment.ticket-lifetime}). */
    public Duration ticketLifetime() {
        return defaultTicketLifetime;
    }

    /** A new ticket for a node, valid for {@code lifetime}; the secret is returned once and only its hash is kept. */
    public TicketGrant createTicket(String nodeIdOrName, Duration lifetime, String actor) {
        Instant now = clock.instant();
        TicketSecret secret = TicketSecret.generate();
        Instant expires = now.plus(lifetime);
        return db.inTransaction(h -> {
            Node node = nodes.find(h, nodeIdOrName).orElseThrow(() -> notFound(nodeIdOrName));
            if (node.state() == NodeState.FENCED) {
                throw fenced(node);
            }
            tickets.insert(h, new StoredTicket(secret.id(), node.id(), secret.hash(), expires, Optional.empty(), now));
            tickets.setPinKey(h, secret.id(), TicketProof.pinKey(secret.wire()));
            audit.append(h, "ticket.create", node.name(), "granted",
                    Map.of("ticket", secret.id(), "expires", expires.toString(), "actor", actor), now);
            return new TicketGrant(secret.wire(), secret.id(), node.id(), node.name(), expires);
        });
    }

    /** Checks the ticket and the CSR, then issues the node's certificate and consumes the ticket, in one transaction. */
    public Enrollment enroll(String ticketText, String csrPem) {
        Instant now = clock.instant();
        // A malformed or unknown ticket is a failed authentication, not a decision about a node: it is not audited
        // one by one (anyone could grow the store with made-up tickets); the API counts it per source, throttles
        // repeated failures and writes one summary row per source and minute.
        TicketSecret secret = TicketSecret.parse(ticketText).orElseThrow(() -> new EnrollmentRefused(
                Reason.TICKET_MALFORMED, "the ticket is not in the form dbt1.<id>.<secret> given by 'drawbridge node enroll'"));
        var found = db.inTransaction(h -> tickets.find(h, secret.id()).flatMap(t -> nodes.find(h, t.nodeId())
                .map(n -> Map.entry(t, n))));
        if (found.isEmpty() || !secret.matches(found.get().getKey().secretHash())) {
            throw new EnrollmentRefused(Reason.TICKET_INVALID,
                    "the ticket is not known to this controller; ask the operator for a new one");
        }
        return grant(found.get().getKey(), found.get().getValue(), csrPem, now, "agent");
    }

    /**
     * Enrollment driven by the conductor in poll mode: the agent has already proved it holds the ticket
     * (TicketProof, bound to its TLS key), so the secret itself never travels; the same checks follow.
     */
    public Enrollment enrollProven(String nodeId, String ticketId, String csrPem) {
        Instant now = clock.instant();
        var found = db.inTransaction(h -> tickets.find(h, ticketId).filter(t -> t.nodeId().equals(nodeId))
                .flatMap(t -> nodes.find(h, nodeId).map(n -> Map.entry(t, n))));
        if (found.isEmpty()) {
            throw refuse(nodeId, Map.of("ticket", ticketId), Reason.TICKET_INVALID,
                    "the agent proved a ticket that was not made for this node");
        }
        return grant(found.get().getKey(), found.get().getValue(), csrPem, now, "conductor");
    }

    /**
     * A new certificate for a node readmitted after a fence: the operator's recorded approval and a passing
     * attestation stand in for the ticket; the CSR gets the same identity checks.
     */
    public Enrollment reissue(String nodeId, String csrPem) {
        Instant now = clock.instant();
        Node node = db.inTransaction(h -> nodes.find(h, nodeId)).orElseThrow(() -> notFound(nodeId));
        CsrRequest csr;
        try {
            csr = ca.parseCsr(csrPem);
        } catch (CsrRejected e) {
            throw refuse(node.name(), Map.of("node", nodeId, "via", "readmit"), Reason.BAD_CSR, e.getMessage());
        }
        Optional<String> mismatch = IdentityCheck.mismatch(csr, node);
        if (mismatch.isPresent()) {
            throw refuse(node.name(), Map.of("node", nodeId, "via", "readmit"), Reason.IDENTITY_MISMATCH, mismatch.get());
        }
        IssuedCertificate issued = ca.issue(new IssueRequest(Profile.NODE, node.name(), IdentityCheck.dnsNames(node),
                IdentityCheck.ipAddresses(node), csr.publicKey()));
        db.inTransaction(h -> {
            certificates.insert(h, Certificates.record(issued, Optional.of(node.id()), Profile.NODE, issued.pem()));
            return audit.append(h, "enroll", node.name(), "granted", Map.of("node", node.id(), "serial",
                    issued.serialHex(), "via", "readmit"), now);
        });
        return new Enrollment(node.id(), node.name(), issued, List.of(ca.rootPem()));
    }

    private Enrollment grant(StoredTicket ticket, Node node, String csrPem, Instant now, String via) {
        Map<String, String> detail = Map.of("ticket", ticket.id(), "node", node.id(), "via", via);
        if (ticket.usedAt().isPresent() && via.equals("conductor")) {
            // The conductor asks again after a crash or a lost answer between this grant and saving its result: the
            // agent keeps its pending key until a certificate is installed, so the same key gets the same
            // certificate back. A ticket never yields two certificates.
            Optional<Enrollment> again;
            try {
                again = sameKey(node, ca.parseCsr(csrPem).publicKey());
            } catch (CsrRejected e) {
                again = Optional.empty(); // refused below with the reason
            }
            if (again.isPresent()) {
                return again.get();
            }
        }
        if (node.state() == NodeState.FENCED) {
            // A ticket made before the fence must not get around readmission.
            EnrollmentRefused e = fenced(node);
            throw refuse(node.name(), detail, e.reason(), e.getMessage());
        }
        if (ticket.usedAt().isPresent()) {
            throw refuse(node.name(), detail, Reason.TICKET_USED, "the ticket was already used at "
                    + ticket.usedAt().get() + "; a ticket enrolls once: make a new one with 'drawbridge node enroll'");
        }
        if (!now.isBefore(ticket.expiresAt())) {
            throw refuse(node.name(), detail, Reason.TICKET_EXPIRED, "the ticket expired at " + ticket.expiresAt()
                    + "; make a new one with 'drawbridge node enroll'");
        }
        CsrRequest csr;
        try {
            csr = ca.parseCsr(csrPem);
        } catch (CsrRejected e) {
            throw refuse(node.name(), detail, Reason.BAD_CSR, e.getMessage());
        }
        Optional<String> mismatch = IdentityCheck.mismatch(csr, node);
        if (mismatch.isPresent()) {
            throw refuse(node.name(), detail, Reason.IDENTITY_MISMATCH, mismatch.get());
        }
        IssuedCertificate issued = ca.issue(new IssueRequest(Profile.NODE, node.name(), IdentityCheck.dnsNames(node),
                IdentityCheck.ipAddresses(node), csr.publicKey()));
        boolean consumed = db.inTransaction(h -> {
            if (!tickets.consume(h, ticket.id(), now)) {
                return false;
            }
            certificates.insert(h, Certificates.record(issued, Optional.of(node.id()), Profile.NODE, issued.pem()));
            audit.append(h, "enroll", node.name(), "granted", Map.of("ticket", ticket.id(), "node", node.id(),
                    "serial", issued.serialHex(), "via", via), now);
            return true;
        });
        if (!consumed) {
            throw refuse(node.name(), detail, Reason.TICKET_USED, "the ticket was used by another request just now");
        }
        return new Enrollment(node.id(), node.name(), issued, List.of(ca.rootPem()));
    }

    /**
     * Whether the ticket with this id (not secret: {@link TicketSecret#id()}) has been used to enroll. False for a
     * ticket that is unknown, unused, or already swept away after it expired.
     */
    public boolean ticketUsed(String ticketId) {
        return db.read(h -> tickets.find(h, ticketId).flatMap(StoredTicket::usedAt).isPresent());
    }

    /**
     * A bootstrap payload for a node: a new ticket, the root to trust and the time, signed by the CA as a compact
     * JWS. It names no controller: a poll-mode node never calls us.
     */
    public String pollPayload(String nodeIdOrName, String actor) {
        return payload(nodeIdOrName, Map.of("mode", "poll"), actor);
    }

    /** {@link #pollPayload} for a node in callback mode: the payload also names the controller's URL to call. */
    public String callbackPayload(String nodeIdOrName, String controllerUrl, String actor) {
        return payload(nodeIdOrName, Map.of("mode", "callback", "controller_url", controllerUrl), actor);
    }

    private String payload(String nodeIdOrName, Map<String, String> modeClaims, String actor) {
        TicketGrant grant = createTicket(nodeIdOrName, defaultTicketLifetime, actor);
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("v", 1);
        claims.put("node_id", grant.nodeId());
        claims.put("node_name", grant.nodeName());
        claims.put("root_ca", ca.rootPem());
        claims.put("ticket", grant.ticket());
        claims.put("issued_at", clock.instant().toString());
        claims.put("time", clock.instant().toString());
        claims.put("expires_at", grant.expiresAt().toString());
        claims.put("mode", modeClaims.get("mode"));
        if (modeClaims.containsKey("controller_url")) {
            claims.put("controller_url", modeClaims.get("controller_url"));
        }
        try {
            return ca.signJws(Wire.JSON.writeValueAsString(claims));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private EnrollmentRefused refuse(String subject, Map<String, String> detail, Reason reason, String message) {
        Instant now = clock.instant();
        var withReason = new HashMap<>(detail);
        withReason.put("reason", reason.name().toLowerCase(Locale.ROOT));
        withReason.put("message", message);
        db.inTransaction(h -> audit.append(h, "enroll", subject, "refused", withReason, now));
        return new EnrollmentRefused(reason, message);
    }

    /** The unrevoked certificate already issued to {@code node} for {@code key}, if any. */
    private Optional<Enrollment> sameKey(Node node, PublicKey key) {
        return db.read(h -> certificates.byNode(h, node.id())).stream()
                .filter(c -> c.revokedAt().isEmpty())
                .map(c -> Pem.certificate(c.pem()))
                .filter(c -> c.getPublicKey().equals(key))
                .findFirst()
                .map(c -> new Enrollment(node.id(), node.name(), new IssuedCertificate(c, c.getSerialNumber(),
                        c.getNotBefore().toInstant(), c.getNotAfter().toInstant(), Pem.certificate(c)),
                        List.of(ca.rootPem())));
    }

    private static EnrollmentRefused fenced(Node node) {
        return new EnrollmentRefused(Reason.NODE_FENCED, "node " + node.name() + " is fenced: readmit first ('drawbridge "
                + "readmit " + node.name() + " --approved-by WHO --reason WHY'); it gets a new identity then");
    }

    /**
     * A renewed certificate for an enrolled node, over the poll channel (DESIGN.md "Renewal"): the conductor has
     * already checked that the agent proved possession of {@code currentSerial}'s key (and quoted over the new key
     * with its AK where it has one). Refused for a fenced node, and unless {@code currentSerial} is an unrevoked
     * node certificate issued to this very node. The old certificate stays valid until it expires.
     */
    public Enrollment renew(String nodeId, String currentSerial, String csrPem) {
        Instant now = clock.instant();
        record Found(Node node, Optional<CertificateRecord> current) {}
        Found found = db.read(h -> nodes.find(h, nodeId).map(n -> new Found(n, certificates.find(h, currentSerial))))
                .orElseThrow(() -> notFound(nodeId));
        Node node = found.node();
        Map<String, String> detail = Map.of("node", node.id(), "via", "renew", "serial", currentSerial);
        if (node.state() == NodeState.FENCED) {
            throw refuse(node.name(), detail, Reason.NODE_FENCED, "a fenced node's certificate is never renewed");
        }
        Optional<CertificateRecord> current = found.current();
        if (current.isEmpty() || current.get().nodeId().filter(node.id()::equals).isEmpty()
                || !current.get().profile().equalsIgnoreCase(Profile.NODE.name()) || current.get().revokedAt().isPresent()) {
            throw refuse(node.name(), detail, Reason.RENEWAL_REFUSED, "the certificate the agent serves (serial "
                    + currentSerial + ") is not an unrevoked certificate of " + node.name());
        }
        CsrRequest csr;
        try {
            csr = ca.parseCsr(csrPem);
        } catch (CsrRejected e) {
            throw refuse(node.name(), detail, Reason.BAD_CSR, e.getMessage());
        }
        Optional<String> mismatch = IdentityCheck.mismatch(csr, node);
        if (mismatch.isPresent()) {
            throw refuse(node.name(), detail, Reason.IDENTITY_MISMATCH, mismatch.get());
        }
        Optional<Enrollment> again = sameKey(node, csr.publicKey());
        if (again.isPresent()) {
            // A retry after the install failed or its answer was lost: the agent kept its pending key, so it gets
            // the certificate already issued for it rather than one more live certificate per attempt.
            return again.get();
        }
        IssuedCertificate issued = ca.issue(new IssueRequest(Profile.NODE, node.name(), IdentityCheck.dnsNames(node),
                IdentityCheck.ipAddresses(node), csr.publicKey()));
        db.inTransaction(h -> {
            certificates.insert(h, Certificates.record(issued, Optional.of(node.id()), Profile.NODE, issued.pem()));
            return audit.append(h, "certificate.renew", node.name(), "granted", Map.of("node", node.id(), "serial",
                    issued.serialHex(), "previous", currentSerial, "not_after", issued.notAfter().toString()), now);
        });
        return new Enrollment(node.id(), node.name(), issued, List.of(ca.rootPem()));
    }

    /**
     * Whether {@code serialHex} is an unrevoked node certificate this CA issued to node {@code nodeId}: how the
     * conductor recognises an agent that serves a certificate newer than the key it pinned.
     */
    public boolean holds(String nodeId, String serialHex) {
        return db.read(h -> certificates.find(h, serialHex)).filter(c -> c.nodeId().filter(nodeId::equals).isPresent()
                && c.revokedAt().isEmpty() && c.profile().equalsIgnoreCase(Profile.NODE.name())).isPresent();
    }

    /** Records a failed renewal in the audit trail, so an operator sees it long before the certificate expires. */
    public void renewalFailed(Node node, String reason) {
        Instant now = clock.instant();
        db.inTransaction(h -> audit.append(h, "certificate.renew", node.name(), "failed", Map.of("node", node.id(),
                "reason", reason), now));
    }

    static EnrollmentRefused notFound(String nodeIdOrName) {
        return new EnrollmentRefused(Reason.NODE_NOT_FOUND, "no node '" + nodeIdOrName + "' in inventory");
    }

    /** What a ticket request returns: the secret, shown once. */
    public record TicketGrant(String ticket, String ticketId, String nodeId, String nodeName, Instant expiresAt) {}

    /** A granted enrollment: the node's certificate and the chain up to our root. */
    public record Enrollment(String nodeId, String nodeName, IssuedCertificate certificate, List<String> chain) {}
}
