package dev.drawbridge.controller.enroll;

import dev.drawbridge.controller.enroll.EnrollmentRefused.Reason;
import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.pki.CertStatus;
import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.pki.RevokedSerial;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Revocation, the CRL and OCSP. A revocation returns only once a CRL re-signed after its commit is published, and
 * OCSP reads the store on each request, so both say {@code revoked} from the moment the revocation returns.
 * Revocations committed while a re-sign is running share the next one: a fence storm of a hundred hosts re-signs
 * the CRL a few times, not a hundred times in a queue.
 */
public final class Revocations {
    /** RFC 5280 §5.3.1 reason codes used here. */
    public static final int UNSPECIFIED = 0;
    public static final int KEY_COMPROMISE = 1;

    /** How long a CRL is valid by default (its nextUpdate); it is re-signed when half of that has passed. */
    public static final Duration CRL_VALIDITY = Duration.ofDays(1);
    private final Duration crlValidity;
    private volatile Instant crlSignedAt = Instant.EPOCH;

    private final Database db;
    private final CertificateAuthority ca;
    private final NodeRepository nodes;
    private final CertificateRepository certificates;
    private final AuditLog audit;
    private final Clock clock;
    private final AtomicReference<byte[]> crl = new AtomicReference<>();
    /** Bumped after each revocation commits; a CRL signed after reading generation g covers every bump up to g. */
    private final AtomicLong committed = new AtomicLong();
    private volatile long signed = -1;
    private final ReentrantLock signing = new ReentrantLock();

    public Revocations(Database db, CertificateAuthority ca, NodeRepository nodes, CertificateRepository certificates,
                       AuditLog audit, Clock clock) {
        this(db, ca, nodes, certificates, audit, clock, CRL_VALIDITY);
    }

    /** With CRLs valid for {@code crlValidity} ({@code ca.crl-validity}). */
    public Revocations(Database db, CertificateAuthority ca, NodeRepository nodes, CertificateRepository certificates,
                       AuditLog audit, Clock clock, Duration crlValidity) {
        this.crlValidity = crlValidity;
        this.db = db;
        this.ca = ca;
        this.nodes = nodes;
        this.certificates = certificates;
        this.audit = audit;
        this.clock = clock;
        refreshCrl();
    }

    /** Revokes one certificate by serial (hex). */
    public CertificateRecord revoke(String serialHex, int reasonCode, String actor) {
        String serial = normalise(serialHex);
        Instant now = clock.instant();
        CertificateRecord revoked = db.inTransaction(h -> {
            CertificateRecord rec = certificates.find(h, serial).orElseThrow(() -> new EnrollmentRefused(
                    Reason.CERTIFICATE_NOT_FOUND, "no certificate with serial " + serial + " was issued here"));
            if (!certificates.revoke(h, serial, now, reasonCode)) {
                throw new EnrollmentRefused(Reason.ALREADY_REVOKED, "certificate " + serial + " is already revoked");
            }
            audit.append(h, "certificate.revoke", serial, "granted",
                    Map.of("reason", Integer.toString(reasonCode), "actor", actor), now);
            return certificates.find(h, serial).orElseThrow();
        });
        refreshCrlAfter(committed.incrementAndGet());
        return revoked;
    }

    /** Revokes every unrevoked certificate of a node at once; returns the serials revoked. */
    public List<String> revokeNode(String nodeIdOrName, int reasonCode, String actor) {
        Instant now = clock.instant();
        List<String> serials = db.inTransaction(h -> {
            Node node = nodes.find(h, nodeIdOrName).orElseThrow(() -> EnrollmentService.notFound(nodeIdOrName));
            List<String> done = new ArrayList<>();
            for (CertificateRecord rec : certificates.byNode(h, node.id())) {
                if (certificates.revoke(h, rec.serialHex(), now, reasonCode)) {
                    done.add(rec.serialHex());
                }
            }
            audit.append(h, "certificate.revoke-node", node.name(), "granted", Map.of("serials",
                    String.join(",", done), "reason", Integer.toString(reasonCode), "actor", actor), now);
            return done;
        });
        refreshCrlAfter(committed.incrementAndGet());
        return serials;
    }

    /** The current CRL, DER. */
    public byte[] crl() {
        return crl.get().clone();
    }

    /** Answers an RFC 6960 request (DER) from what the store says now. */
    public byte[] ocsp(byte[] requestDer) {
        return ca.ocsp(requestDer, this::status);
    }

    private CertStatus status(BigInteger serial) {
        return db.inTransaction(h -> certificates.find(h, serial.toString(16))).<CertStatus>map(rec ->
                rec.revokedAt().<CertStatus>map(at -> new CertStatus.Revoked(at, rec.reasonCode()))
                        .orElse(new CertStatus.Good())).orElse(new CertStatus.Unknown());
    }

    /**
     * Returns once the published CRL was signed from a read made after revocation {@code generation} committed.
     * Whoever holds the lock signs for everyone whose commit it can see; the rest find their generation covered
     * when they get the lock, and return without signing again.
     */
    private void refreshCrlAfter(long generation) {
        if (signed >= generation) {
            return;
        }
        signing.lock();
        try {
            if (signed >= generation) {
                return;
            }
            signed = refreshCrl();
        } finally {
            signing.unlock();
        }
    }

    /**
     * Re-signs the CRL when half of its validity has passed, so relying parties never see it expire even when
     * nothing is revoked for days. Called on a schedule; returns whether it signed.
     */
    public boolean refreshIfDue() {
        if (clock.instant().isBefore(crlSignedAt.plus(crlValidity.dividedBy(2)))) {
            return false;
        }
        signing.lock();
        try {
            if (clock.instant().isBefore(crlSignedAt.plus(crlValidity.dividedBy(2)))) {
                return false;
            }
            signed = Math.max(signed, refreshCrl());
            return true;
        } finally {
            signing.unlock();
        }
    }

    /** How often {@link #refreshIfDue} should be called: a tenth of the validity, at most a minute. */
    public Duration refreshCheckInterval() {
        Duration tenth = crlValidity.dividedBy(10);
        return tenth.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : tenth;
    }

    /** Signs and publishes a CRL from the store; returns the revocation generation the read covers. */
    private long refreshCrl() {
        record Read(long number, long covers, List<CertificateRecord> revoked) {
        }
        Read read = db.inTransaction(h -> {
            long number = certificates.nextCrlNumber(h);
            // Read before the revoked list: every generation counted here committed before that statement.
            long covers = committed.get();
            return new Read(number, covers, certificates.revoked(h));
        });
        List<RevokedSerial> entries = read.revoked().stream().map(r -> new RevokedSerial(
                new BigInteger(r.serialHex(), 16), r.revokedAt().orElseThrow(), r.reasonCode())).toList();
        Instant now = clock.instant();
        crl.set(ca.crl(entries, read.number(), now, crlValidity));
        crlSignedAt = now;
        return read.covers();
    }

    static String normalise(String serialHex) {
        String s = serialHex.trim().toLowerCase(Locale.ROOT).replace(":", "");
        if (s.isEmpty() || s.length() > 40 || !s.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new EnrollmentRefused(Reason.CERTIFICATE_NOT_FOUND, "'" + serialHex
                    + "' is not a certificate serial: give it in hex, as 'openssl x509 -serial' prints it");
        }
        return new BigInteger(s, 16).toString(16);
    }
}
