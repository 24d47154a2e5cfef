package dev.drawbridge.controller.discovery;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.drawbridge.controller.config.DiscoveryConfig;
import dev.drawbridge.controller.enroll.EnrollmentService;
import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.inventory.Inventory;
import dev.drawbridge.controller.inventory.NewNode;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.trust.Cidr;
import dev.drawbridge.controller.trust.TrustService;
import dev.drawbridge.oauth.TrustDecision;
import dev.drawbridge.protocol.Announcement;
import dev.drawbridge.protocol.Mdns;
import dev.drawbridge.protocol.Wire;
import java.net.InetAddress;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What discovery heard, and what it made of it. Each {@code _drawbridge._tcp} announcement is parsed into an
 * {@link Announcement} (a TXT record that is not one is counted and dropped), recorded by its id with first and last
 * seen, addresses, role and key fingerprint, and matched to inventory: by id (a node's id or name), by the MAC inside
 * an EUI-64 address, or by the node's pinned key. A device that comes back with another key is flagged (an audit
 * event, a warning) and unmatched, unless the new key is the one the conductor pinned for its node (enrollment and
 * renewal change keys). Being discovered trusts nothing; auto-enrollment, off by default, creates a node only for a
 * configured role and network, and only when the trust policy trusts the device's address. Owns the
 * {@code discovered} table.
 */
public final class DiscoveryService {
    private static final Logger LOG = LoggerFactory.getLogger(DiscoveryService.class);
    private static final String COLUMNS = "id, role, version, fingerprint, instance, addresses, port, first_seen,"
            + " last_seen, node_id, matched_by, flagged";

    /** A device as recorded. */
    public record Device(String id, String role, int version, String fingerprint, String instance,
                         List<String> addresses, int port, Instant firstSeen, Instant lastSeen, Optional<String> nodeId,
                         Optional<String> matchedBy, Optional<String> flagged) {
        public Device {
            addresses = List.copyOf(addresses);
        }
    }

    private final Database db;
    private final Inventory inventory;
    private final AuditLog audit;
    private final TrustService trust;
    private final EnrollmentService enrollment;
    private final DiscoveryConfig.AutoEnroll autoEnroll;
    private final List<Cidr> autoNetworks;
    private final String selfId;
    private final Clock clock;
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong overflow = new AtomicLong();
    private final int maxDevices;
    /** How long a device heard again with nothing changed is not written again. */
    static final java.time.Duration QUIET = java.time.Duration.ofSeconds(10);

    public DiscoveryService(Database db, Inventory inventory, AuditLog audit, TrustService trust,
                            EnrollmentService enrollment, DiscoveryConfig cfg, String selfId, Clock clock) {
        this.db = db;
        this.inventory = inventory;
        this.audit = audit;
        this.trust = trust;
        this.enrollment = enrollment;
        this.autoEnroll = cfg.autoEnroll();
        this.maxDevices = cfg.maxDevices();
        if (maxDevices < 1) {
            throw new IllegalArgumentException("discovery.max-devices must be at least 1");
        }
        this.autoNetworks = autoEnroll.networks().stream().map(Cidr::parse).toList();
        for (String r : this.autoEnroll.roles()) {
            if (Announcement.Role.parse(r).isEmpty()) {
                throw new IllegalArgumentException("discovery.auto-enroll.roles: '" + r + "' is not controller,"
                        + " chassis-bmc, node-bmc or agent");
            }
        }
        this.selfId = selfId;
        this.clock = clock;
    }

    /** A sighting from mDNS: parsed, then recorded. Announcements that do not parse are counted and dropped. */
    public void seen(Mdns.Sighting s) {
        Announcement a;
        try {
            a = Announcement.parse(s.txt());
        } catch (Announcement.Invalid e) {
            refused.incrementAndGet();
            LOG.debug("ignored the mDNS announcement of '{}': {}", s.instance(), e.getMessage());
            return;
        }
        if (a.id().equals(selfId)) {
            return;
        }
        record(a, s.instance(), s.addresses(), s.port());
    }

    /** Announcements heard that were not Drawbridge's TXT record. */
    public long refusedAnnouncements() {
        return refused.get();
    }

    /** New devices dropped because {@code discovery.max-devices} were recorded. */
    public long droppedDevices() {
        return overflow.get();
    }

    /**
     * Records one announcement heard now: the row, its match, a flag if its key changed. Returns the row, or empty
     * when the device is new and {@code discovery.max-devices} are recorded already (it is counted and dropped).
     * A device heard again within {@link #QUIET} with nothing changed is not written again.
     */
    public Optional<Device> record(Announcement a, String instance, List<InetAddress> heard, int port) {
        Instant now = clock.instant();
        List<String> addresses = heard.stream().map(DiscoveryService::text).distinct().toList();
        Optional<Device> before = find(a.id());
        if (before.isEmpty() && db.read(h -> h.createQuery("SELECT COUNT(*) FROM discovered").mapTo(Long.class).one())
                >= maxDevices) {
            if (overflow.getAndIncrement() == 0) {
                LOG.warn("discovery holds {} devices (discovery.max-devices): new ones are dropped until some are"
                        + " forgotten", maxDevices);
            }
            return Optional.empty();
        }
        if (before.isPresent() && before.get().fingerprint().equals(a.fingerprint())
                && before.get().addresses().containsAll(addresses) && before.get().port() == port
                && before.get().instance().equals(instance) && before.get().role().equals(a.role().wire())
                && now.isBefore(before.get().lastSeen().plus(QUIET))) {
            return before;
        }
        Optional<Match> match = match(a, heard);
        Optional<String> flag = Optional.empty();
        if (before.isPresent() && !before.get().fingerprint().equals(a.fingerprint())) {
            Optional<String> pinned = match.flatMap(m -> inventory.pinnedKey(m.node().id()));
            if (!pinned.equals(Optional.of(a.fingerprint()))) {
                flag = Optional.of("came back with key " + a.fingerprint().substring(0, 16) + "... instead of "
                        + before.get().fingerprint().substring(0, 16) + "... at " + now);
            }
        } else if (before.isPresent()) {
            flag = before.get().flagged();
        }
        Optional<Match> kept = flag.isPresent() ? Optional.empty() : match;
        boolean newlyFlagged = flag.isPresent() && (before.isEmpty() || before.get().flagged().isEmpty());
        Set<String> merged = new LinkedHashSet<>(addresses);
        if (before.isPresent() && before.get().fingerprint().equals(a.fingerprint())) {
            merged.addAll(before.get().addresses());
        }
        List<String> all = List.copyOf(merged).subList(0, Math.min(merged.size(), 16));
        Optional<String> finalFlag = flag;
        db.inTransaction(h -> {
            int n = h.createUpdate("UPDATE discovered SET role = :role, version = :v, fingerprint = :fp,"
                            + " instance = :instance, addresses = :addresses, port = :port, last_seen = :now,"
                            + " node_id = :node, matched_by = :by, flagged = :flag WHERE id = :id")
                    .bind("id", a.id()).bind("role", a.role().wire()).bind("v", a.version())
                    .bind("fp", a.fingerprint()).bind("instance", instance).bind("addresses", json(all))
                    .bind("port", port).bind("now", now.toEpochMilli())
                    .bind("node", kept.map(m -> m.node().id()).orElse(null))
                    .bind("by", kept.map(Match::by).orElse(null)).bind("flag", finalFlag.orElse(null)).execute();
            if (n == 0) {
                h.createUpdate("INSERT INTO discovered (" + COLUMNS + ") VALUES (:id, :role, :v, :fp, :instance,"
                                + " :addresses, :port, :now, :now, :node, :by, :flag)")
                        .bind("id", a.id()).bind("role", a.role().wire()).bind("v", a.version())
                        .bind("fp", a.fingerprint()).bind("instance", instance)
                        .bind("addresses", json(all)).bind("port", port).bind("now", now.toEpochMilli())
                        .bind("node", kept.map(m -> m.node().id()).orElse(null))
                        .bind("by", kept.map(Match::by).orElse(null)).bind("flag", finalFlag.orElse(null)).execute();
                audit.append(h, "discovery.seen", a.id(), "recorded", kept.map(m -> detail(a, instance, all, m)).orElseGet(() -> detail(a, instance, all)), now);
            }
            if (newlyFlagged) {
                Map<String, String> d = match.map(m -> detail(a, instance, all, m)).orElseGet(() -> detail(a, instance, all));
                d.put("previous_fp", before.map(Device::fingerprint).orElse(""));
                audit.append(h, "discovery.fingerprint-changed", a.id(), "flagged", d, now);
            }
            return null;
        });
        if (newlyFlagged) {
            LOG.warn("discovered device {} ({}) came back with another TLS key: flagged and not matched until an"
                    + " operator forgets it (drawbridge discover forget {})", a.id(), instance, a.id());
        }
        if (before.isEmpty() && kept.isEmpty() && finalFlag.isEmpty()) {
            autoEnroll(a, instance, heard, port);
        }
        return find(a.id());
    }

    private record Match(Node node, String by) {}

    private Optional<Match> match(Announcement a, List<InetAddress> heard) {
        if (a.role() == Announcement.Role.CONTROLLER) {
            return Optional.empty();
        }
        Optional<Node> byId = inventory.find(a.id());
        if (byId.isPresent()) {
            return Optional.of(new Match(byId.get(), "id"));
        }
        for (InetAddress address : heard) {
            Optional<String> mac = Eui64.mac(address);
            if (mac.isPresent()) {
                Optional<Node> byMac = inventory.findByMac(mac.get());
                if (byMac.isPresent()) {
                    return Optional.of(new Match(byMac.get(), "mac"));
                }
            }
        }
        return inventory.findByPinnedKey(a.fingerprint()).map(n -> new Match(n, "fingerprint"));
    }

    /**
     * Auto-enrollment of a device nothing matched: only when switched on, for a configured role, from an address in
     * a configured network, and when the trust policy, judging that address, trusts it. Every decision is audited.
     */
    private void autoEnroll(Announcement a, String instance, List<InetAddress> heard, int port) {
        if (!autoEnroll.enabled() || !autoEnroll.roles().contains(a.role().wire())) {
            return;
        }
        Optional<InetAddress> source = heard.stream().filter(x -> autoNetworks.stream().anyMatch(c -> c.contains(x)))
                .findFirst();
        if (source.isEmpty()) {
            return;
        }
        String name = nodeName(instance);
        TrustDecision d = trust.explain(source.get(), List.of(), Optional.empty(), name, Set.of()).decision();
        Map<String, String> detail = new LinkedHashMap<>(Map.of("discovered_id", a.id(), "role", a.role().wire(),
                "address", text(source.get()), "decision", d.summary()));
        if (d.answer() != TrustDecision.Answer.TRUSTED) {
            inventory.record(List.of(new Inventory.AuditEntry("discovery.auto-enroll", name, "refused", detail)));
            LOG.info("auto-enroll refused {} ({}): {}", instance, a.id(), d.summary());
            return;
        }
        List<String> macs = heard.stream().map(Eui64::mac).flatMap(Optional::stream).distinct().toList();
        try {
            Node node = inventory.create(new NewNode(name, macs, Map.of("discovered", "mdns"), Optional.empty(),
                    Optional.of(authority(source.get(), port)), Optional.empty(), "poll", Optional.empty(),
                    Optional.empty()));
            enrollment.pollPayload(node.id(), "discovery");
            db.inTransaction(h -> h.createUpdate("UPDATE discovered SET node_id = :node, matched_by = 'auto-enroll'"
                    + " WHERE id = :id").bind("node", node.id()).bind("id", a.id()).execute());
            inventory.record(List.of(new Inventory.AuditEntry("discovery.auto-enroll", name, "granted", detail)));
            LOG.info("auto-enrolled {} as node {} with a ticket", instance, name);
        } catch (Inventory.NameTaken e) {
            inventory.record(List.of(new Inventory.AuditEntry("discovery.auto-enroll", name, "refused",
                    Map.of("discovered_id", a.id(), "reason", "a node named " + name + " exists"))));
        }
    }

    /** A node name from a DNS-SD instance name: lower case, letters, digits and dashes. */
    static String nodeName(String instance) {
        String n = instance.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+|-+$", "");
        return n.isEmpty() ? "discovered" : n.substring(0, Math.min(63, n.length()));
    }

    private static String authority(InetAddress a, int port) {
        String host = text(a);
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    private static String text(InetAddress a) {
        return Eui64.text(a);
    }

    private static Map<String, String> detail(Announcement a, String instance, List<String> addresses) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("role", a.role().wire());
        d.put("fp", a.fingerprint());
        d.put("instance", instance);
        d.put("addresses", String.join(" ", addresses));
        return d;
    }

    private static Map<String, String> detail(Announcement a, String instance, List<String> addresses, Match m) {
        Map<String, String> d = detail(a, instance, addresses);
        d.put("node", m.node().name());
        d.put("matched_by", m.by());
        return d;
    }

    public List<Device> list() {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM discovered ORDER BY role, id")
                .map((rs, ctx) -> device(rs)).list());
    }

    public Optional<Device> find(String id) {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM discovered WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> device(rs)).findFirst());
    }

    /** Forgets a device (clearing its flag): the next announcement records it afresh. */
    public boolean forget(String id, String actor) {
        Instant now = clock.instant();
        return db.inTransaction(h -> {
            int n = h.createUpdate("DELETE FROM discovered WHERE id = :id").bind("id", id).execute();
            if (n > 0) {
                audit.append(h, "discovery.forget", id, "granted", Map.of("actor", actor), now);
            }
            return n > 0;
        });
    }

    /** How many devices are recorded, by role, and how many of them are flagged (the metrics' gauges). */
    public Map<String, Long> counts() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Announcement.Role r : Announcement.Role.values()) {
            out.put(r.wire(), 0L);
        }
        db.read(h -> h.createQuery("SELECT role, COUNT(*) FROM discovered GROUP BY role")
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2))).list())
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        out.put("flagged", db.read(h -> h.createQuery("SELECT COUNT(*) FROM discovered WHERE flagged IS NOT NULL")
                .mapTo(Long.class).one()));
        return out;
    }

    private static String json(List<String> values) {
        try {
            return Wire.JSON.writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> strings(String json) {
        try {
            return new ArrayList<>(List.of(Wire.JSON.readValue(json, String[].class)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a discovered row's addresses do not parse", e);
        }
    }

    private static Device device(ResultSet rs) throws SQLException {
        return new Device(rs.getString("id"), rs.getString("role"), rs.getInt("version"), rs.getString("fingerprint"),
                rs.getString("instance"), strings(rs.getString("addresses")),
                rs.getInt("port"), Instant.ofEpochMilli(rs.getLong("first_seen")),
                Instant.ofEpochMilli(rs.getLong("last_seen")), Optional.ofNullable(rs.getString("node_id")),
                Optional.ofNullable(rs.getString("matched_by")), Optional.ofNullable(rs.getString("flagged")));
    }
}
