package dev.drawbridge.controller;

import dev.drawbridge.controller.config.OAuthConfig;
import dev.drawbridge.oauth.OAuthSettings;
import dev.drawbridge.controller.trust.PeerService;
import dev.drawbridge.controller.trust.TrustService;
import dev.drawbridge.controller.api.AdminToken;
import dev.drawbridge.controller.api.ApiContext;
import dev.drawbridge.controller.api.ApiServer;
import dev.drawbridge.controller.discovery.Discovery;
import dev.drawbridge.controller.discovery.DiscoveryService;
import dev.drawbridge.controller.conductor.Conductor;
import dev.drawbridge.controller.conductor.NodeActions;
import dev.drawbridge.controller.conductor.Polling;
import dev.drawbridge.controller.config.AttestationConfig;
import dev.drawbridge.controller.config.CaConfig;
import dev.drawbridge.controller.config.ConfigException;
import dev.drawbridge.controller.config.ControllerConfig;
import dev.drawbridge.controller.config.FencingConfig;
import dev.drawbridge.controller.enroll.CertificateRepository;
import dev.drawbridge.controller.enroll.ConsoleSigning;
import dev.drawbridge.controller.enroll.EnrollmentService;
import dev.drawbridge.controller.enroll.IssuedCertificates;
import dev.drawbridge.controller.enroll.Revocations;
import dev.drawbridge.controller.enroll.TicketRepository;
import dev.drawbridge.controller.fence.FenceService;
import dev.drawbridge.controller.fence.PowerControl;
import dev.drawbridge.controller.fence.PowerControls;
import dev.drawbridge.controller.inventory.AuditCheckpoints;
import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.inventory.Inventory;
import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.placement.Placement;
import dev.drawbridge.controller.power.PowerDrivers;
import dev.drawbridge.controller.power.BmcTargets;
import dev.drawbridge.controller.media.VirtualMediaService;
import dev.drawbridge.controller.cluster.Cluster;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.Sealer;
import dev.drawbridge.controller.store.StoreConfig;
import dev.drawbridge.controller.store.StoreException;
import dev.drawbridge.controller.store.StoreKeySlot;
import dev.drawbridge.controller.verify.Verdicts;
import dev.drawbridge.pki.CaKeyStore;
import dev.drawbridge.pki.CaKeyStores;
import dev.drawbridge.pki.CaSettings;
import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.pki.CryptoProviders;
import dev.drawbridge.pki.KeyAlgorithm;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.pki.ProviderStatus;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import dev.drawbridge.protocol.Announcement;
import dev.drawbridge.protocol.TicketProof;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the controller's parts in order and owns their lifetime: data directory, crypto provider,
 * store, CA, services, and the HTTPS listener. The one place where components are wired by hand.
 */
public final class Controller implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Controller.class);
    /** How often inserted virtual media is checked for eject (the node enrolled, the URL or payload expired). */
    static final Duration MEDIA_SWEEP = Duration.ofSeconds(2);

    private final DataDir dataDir;
    private final Database db;
    private final ApiServer server;
    private final String url;
    private final CertificateAuthority ca;

    private final Polling polling;

    private final Housekeeping duties;
    private final AuditCheckpoints checkpoints;
    private final TrustService trust;
    private final Discovery discovery;
    private final Cluster cluster;

    private Controller(DataDir dataDir, Database db, ApiServer server, String url, CertificateAuthority ca,
                       Polling polling, Housekeeping duties,
                       AuditCheckpoints checkpoints, TrustService trust, Discovery discovery, Cluster cluster) {
        this.cluster = cluster;
        this.trust = trust;
        this.discovery = discovery;
        this.duties = duties;
        this.checkpoints = checkpoints;
        this.polling = polling;
        this.dataDir = dataDir;
        this.db = db;
        this.server = server;
        this.url = url;
        this.ca = ca;
    }

    public static Controller start(ControllerConfig config, Clock clock) {
        ProviderStatus crypto = CryptoProviders.install();
        DataDir dir = new DataDir(Path.of(config.dataDir()));
        dir.create();
        InetSocketAddress listen = ListenAddress.parse(config.listen());
        AdminToken token = new AdminToken(dir.secret("admin.token"));
        Database db = Database.open(config.store(), dir.root());
        Cluster cluster;
        try {
            cluster = Cluster.join(db, config.cluster(), memberName(config, dir),
                    config.cluster().advertise().isBlank() ? "https://" + config.listen() : config.cluster().advertise(),
                    clock);
        } catch (IllegalStateException e) {
            db.close();
            throw new ConfigException(e.getMessage());
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
        try {
            byte[] kek = kek(config.store(), dir);
            CertificateAuthority ca = CertificateAuthority.open(keyStore(config.ca(), dir, db, kek),
                    settings(config.ca()), clock);
            dir.writePublic("ca.pem", ca.rootPem());
            NodeRepository nodes = NodeRepository.jdbi();
            AuditLog audit = AuditLog.jdbi();
            CertificateRepository certs = CertificateRepository.jdbi();
            // Pin keys and OAuth signing keys are sealed at rest under a key kept in the data directory, not in the store.
            TicketRepository tickets = TicketRepository.jdbi(kek);
            var enrollment = new EnrollmentService(db, ca, nodes, tickets, certs, audit, clock,
                    config.enrollment().ticketLifetime());
            var revocations = new Revocations(db, ca, nodes, certs, audit, clock, config.ca().crlValidity());
            var console = new ConsoleSigning(ConsoleSigning.upstream(config.managementConsole().upstream(), ca,
                    config.managementConsole().command(), config.managementConsole().httpUrl(),
                    config.managementConsole().upstreamRootFile(),
                    config.managementConsole().deadline(), HttpClient.newHttpClient(),
                    name -> db.read(h -> nodes.find(h, name.toLowerCase(Locale.ROOT)).isPresent())),
                    config.managementConsole().deadline(), config.managementConsole().maxInFlight(),
                    config.managementConsole().retryAfterSeconds());
            PrometheusMeterRegistry metrics = metrics(console);
            cluster.bind(metrics);
            var verdicts = new Verdicts(db, audit, clock, config.fencing().verdictMaxAge());
            var placement = new Placement(db, audit, clock, config.fencing().verdictMaxAge());
            var inventory = new Inventory(db, nodes, audit, clock);
            var trust = TrustService.create(db, kek, config.trust(), ca.root(), inventory, verdicts, clock);
            var fences = new FenceService(db, nodes, audit, FenceService.standardSteps(db, revocations, trust,
                    power(config.fencing()), placement, webhook(config.fencing())
                            .map(u -> FenceService.webhook(u, ca, clock)).orElseGet(FenceService::noWebhook)),
                    verdicts, clock, metrics);
            ServerIdentity identity = ServerIdentity.create(ca, listen.getHostString());
            Polling polling = config.conductor().enabled()
                    ? Conductor.create(config.conductor(), db, nodes, enrollment, tickets, certs,
                    identity.agentPinning(), identity.agentMutual(), clock, verdicts, fences, metrics,
                    ekCas(config.attestation()), config.fencing().unreachableAfter(), config.ca().nodeLifetime(),
                    cluster)
                    : Polling.off();

            fences.onMoved(polling::wake); // a fence or readmission through the API counts from the next tick
            var actions = new NodeActions(db, nodes, audit, config.conductor(), clock, polling);
            String selfId = PeerService.controllerId(ca.root());
            var discovered = new DiscoveryService(db, inventory, audit, trust, enrollment,
                    config.discovery(), selfId, clock);
            AtomicReference<String> selfUrl = new AtomicReference<>("");
            var media = new VirtualMediaService(db, inventory, enrollment, PowerDrivers.redfishMedia(
                    redfishTrust(config.fencing()), PowerDrivers.DEFAULT_TIMEOUT), config.fencing(),
                    config.enrollment().mediaUrlLifetime(), () -> config.enrollment().mediaBaseUrl().isEmpty()
                    ? selfUrl.get() : config.enrollment().mediaBaseUrl(), clock,
                    cluster.membership().id(), cluster.membership()::alive);
            var ctx = new ApiContext(config, inventory, new IssuedCertificates(db, nodes, certs),
                    ca, enrollment, revocations, console, actions, verdicts, placement, fences, trust,
                    new PeerService(db, kek, clock, ca), discovered, media, cluster, token, metrics, clock,
                    e -> e instanceof StoreException s && s.unavailable());
            ApiServer server = ApiServer.start(ctx, listen, identity.server());
            String url = "https://" + hostForUrl(listen) + ":" + server.port();
            selfUrl.set(url);
            if (config.cluster().advertise().isBlank()) {
                cluster.membership().address(url);
            }
            trust.open(oauthSettings(config.oauth(), url));
            if (config.cluster().enabled()) {
                trust.oauth().rotateKeysOnlyWhenAsked(); // one member rotates, under the lease of the duty below
            }
            Discovery discovery;
            try {
                discovery = Discovery.start(config.discovery(), discovered, new Announcement(
                        Announcement.Role.CONTROLLER, selfId, Announcement.VERSION,
                        TicketProof.fingerprintHex(ca.root())), selfId, server.port(), metrics);
            } catch (IllegalArgumentException | IllegalStateException e) {
                server.close();
                throw new ConfigException("discovery: " + e.getMessage());
            }
            polling.start();
            fences.runners(new FenceService.Runners() {
                @Override
                public String self() {
                    return cluster.membership().id();
                }

                @Override
                public boolean alive(String member) {
                    return cluster.membership().alive(member);
                }
            });
            fences.resumeAll();
            var checkpoints = new AuditCheckpoints(db,
                    dir.file(AuditCheckpoints.FILE), ca::signJws, clock);
            checkpoints.write();
            Housekeeping duties = Housekeeping.start(List.of(
                    new Housekeeping.Duty("audit-checkpoint", Duration.ofMinutes(1), checkpoints::write),
                    new Housekeeping.Duty("crl-resign", revocations.refreshCheckInterval(),
                            () -> cluster.duty("crl-resign", revocations::refreshIfDue)),
                    new Housekeeping.Duty("auth-failure-audit", Duration.ofMinutes(1), server::auditAuthFailures),
                    new Housekeeping.Duty("media-eject", MEDIA_SWEEP, () -> cluster.duty("media-eject", media::sweep)),
                    // Any member may take over a fence whose runner died; a conditional update gives each to one.
                    new Housekeeping.Duty("fence-resume", config.cluster().heartbeat(), fences::resumeOrphans),
                    new Housekeeping.Duty("oauth-key-rotation", Duration.ofMinutes(1),
                            () -> cluster.duty("oauth-key-rotation", () -> trust.oauth().rotateKeysIfDue()))));
            dir.writePublic("controller.url", url + "\n");
            LOG.info("controller listening on {} (store {}, CA key in {}, crypto {})", url, db.describe(),
                    config.ca().keyStore(), crypto.active());
            LOG.info("data directory {}: admin token in admin.token, root CA in ca.pem", dir.root());
            return new Controller(dir, db, server, url, ca, polling, duties, checkpoints, trust, discovery, cluster);
        } catch (RuntimeException e) {
            cluster.close();
            db.close();
            throw e;
        }
    }

    /** The authorization server's settings: its issuer is {@code oauth.issuer}, or the URL the controller serves. */
    private static OAuthSettings oauthSettings(OAuthConfig cfg, String url) {
        URI issuer;
        try {
            issuer = URI.create(cfg.issuer().isBlank() ? url : cfg.issuer());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("oauth.issuer is not a URL: " + cfg.issuer());
        }
        try {
            return new OAuthSettings(issuer, cfg.tokenLifetime(), cfg.maxTokenLifetime(), cfg.assertionMaxAhead(),
                    cfg.keyRotation(), cfg.maxClients());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("oauth: " + e.getMessage());
        }
    }

    /**
     * The key-encryption key: {@code store.kek-file} when set (it must exist: a member that made its own would seal
     * what no other member opens), else {@code store.kek} in the data directory, made at first start.
     */
    private static byte[] kek(StoreConfig store, DataDir dir) {
        String text;
        if (store.kekFile().isEmpty()) {
            text = dir.secret("store.kek");
        } else {
            text = SecretFile.read(Path.of(store.kekFile()), "store.kek-file", ": copy the first controller's"
                    + " store.kek there (mode 0600), or make a new key for a new store with"
                    + " `(umask 077; head -c 32 /dev/urandom | basenc --base64url > FILE)`");
        }
        byte[] kek;
        try {
            kek = Base64.getUrlDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("the key-encryption key is not base64url: " + e.getMessage());
        }
        if (kek.length != 32) {
            throw new ConfigException("the key-encryption key must be 32 bytes, not " + kek.length);
        }
        return kek;
    }

    private static CaKeyStore keyStore(CaConfig cfg, DataDir dir, Database db, byte[] kek) {
        return switch (cfg.keyStore()) {
            case "store" -> CaKeyStores.sealed(new StoreKeySlot(db, new Sealer(kek)));
            case "pkcs12" -> CaKeyStores.pkcs12(dir.file("ca.p12"), passphrase(cfg, dir));
            case "pkcs11" -> CaKeyStores.pkcs11(Path.of(cfg.pkcs11().library()), cfg.pkcs11().tokenLabel(),
                    fromValueOrFile(cfg.pkcs11().pin(), cfg.pkcs11().pinFile(), "ca.pkcs11.pin"),
                    cfg.pkcs11().keyLabel());
            default -> throw new ConfigException("ca.key-store must be pkcs12, pkcs11 or store, not '" + cfg.keyStore()
                    + "'");
        };
    }

    private static char[] passphrase(CaConfig cfg, DataDir dir) {
        if (!cfg.passphrase().isEmpty() || !cfg.passphraseFile().isEmpty()) {
            return fromValueOrFile(cfg.passphrase(), cfg.passphraseFile(), "ca.passphrase");
        }
        if (!Files.exists(dir.file("ca.pass"))) {
            LOG.warn("no ca.passphrase configured: the CA key is encrypted with a random passphrase kept in {}; "
                    + "set ca.passphrase-file or DRAWBRIDGE_CA_PASSPHRASE to keep it elsewhere", dir.file("ca.pass"));
        }
        return dir.secret("ca.pass").toCharArray();
    }

    private static char[] fromValueOrFile(String value, String file, String key) {
        if (!value.isEmpty()) {
            return value.toCharArray();
        }
        if (file.isEmpty()) {
            throw new ConfigException(key + " or " + key + "-file must be set");
        }
        return SecretFile.read(Path.of(file), key + "-file", "").toCharArray();
    }

    private static CaSettings settings(CaConfig cfg) {
        KeyAlgorithm alg = switch (cfg.keyAlgorithm()) {
            case "ec-p256" -> KeyAlgorithm.EC_P256;
            case "ec-p384" -> KeyAlgorithm.EC_P384;
            case "rsa-3072" -> KeyAlgorithm.RSA_3072;
            default -> throw new ConfigException("ca.key-algorithm must be ec-p256, ec-p384 or rsa-3072, not '"
                    + cfg.keyAlgorithm() + "'");
        };
        Map<Profile, Duration> lifetimes = new EnumMap<>(Profile.class);
        lifetimes.put(Profile.NODE, cfg.nodeLifetime());
        lifetimes.put(Profile.CONTROLLER, cfg.controllerLifetime());
        lifetimes.put(Profile.CONSOLE_CLIENT, cfg.consoleClientLifetime());
        return new CaSettings(alg, cfg.rootCommonName(), cfg.rootLifetime(), lifetimes);
    }

    private static PowerControl power(FencingConfig cfg) {
        return switch (cfg.powerDriver()) {
            case "none" -> {
                LOG.warn("fencing.power-driver is none: a fenced node is not powered off (its power-off step is "
                        + "skipped); set ipmitool, redfish or fence-agent for production");
                yield PowerControls.none();
            }
            case "fake" -> PowerControls.fake();
            default -> PowerControls.driver(PowerDrivers.byName(cfg.powerDriver(), redfishTrust(cfg))
                    .orElseThrow(() -> new ConfigException("fencing.power-driver must be none, fake, ipmitool,"
                            + " fence-agent or redfish, not '" + cfg.powerDriver() + "'")), cfg);
        };
    }

    private static SSLContext redfishTrust(FencingConfig cfg) {
        try {
            return BmcTargets.redfishTrust(cfg);
        } catch (IllegalStateException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    private static List<X509Certificate> ekCas(
            AttestationConfig cfg) {
        if (cfg.ekCaFile().isBlank()) {
            return List.of();
        }
        try {
            return Pem.certificates(Files.readString(Path.of(cfg.ekCaFile())));
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("cannot read attestation.ek-ca-file " + cfg.ekCaFile() + ": " + e.getMessage());
        }
    }

    private static Optional<URI> webhook(FencingConfig cfg) {
        if (cfg.webhookUrl().isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(URI.create(cfg.webhookUrl()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("fencing.webhook-url is not a URL: " + cfg.webhookUrl());
        }
    }

    private static PrometheusMeterRegistry metrics(ConsoleSigning console) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        registry.gauge("drawbridge.console.requests.in.flight", console, ConsoleSigning::inFlight);
        return registry;
    }

    /**
     * {@code cluster.name}, or a name stable across restarts of this data directory on this host: the host name and
     * a digest of the data directory's path.
     */
    private static String memberName(ControllerConfig config, DataDir dir) {
        if (!config.cluster().name().isBlank()) {
            return config.cluster().name();
        }
        String host = dev.drawbridge.protocol.HostName.local();
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(dir.root().toAbsolutePath()
                    .normalize().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return host + "-" + java.util.HexFormat.of().formatHex(d, 0, 4);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hostForUrl(InetSocketAddress listen) {
        String h = listen.getHostString();
        if (h.equals("0.0.0.0") || h.equals("::") || h.equals("0:0:0:0:0:0:0:0")) {
            return "localhost";
        }
        return h.contains(":") ? "[" + h + "]" : h;
    }

    public String url() {
        return url;
    }

    /** What DNS-SD discovery recorded (empty while {@code discovery.enabled} is false). */
    public DiscoveryService discovery() {
        return discovery.service();
    }

    public int port() {
        return server.port();
    }

    public DataDir dataDir() {
        return dataDir;
    }

    public ApiServer apiServer() {
        return server;
    }

    public CertificateAuthority ca() {
        return ca;
    }

    /** The authorization server and trust policy (benchmarks and tests reach the OAuth side through this). */
    public TrustService trust() {
        return trust;
    }

    public Database database() {
        return db;
    }

    @Override
    public void close() {
        discovery.close();
        duties.close();
        polling.close();
        cluster.close(); // releases this controller's nodes and leases, so the others take over at once
        server.close();
        try {
            checkpoints.write(); // the head at stop, so a tail removed while stopped shows
        } catch (RuntimeException e) {
            LOG.warn("could not write the audit checkpoint at stop: {}", e.toString());
        }
        db.close();
        LOG.info("controller stopped");
    }
}
