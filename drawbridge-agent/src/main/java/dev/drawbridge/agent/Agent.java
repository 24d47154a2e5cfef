package dev.drawbridge.agent;

import dev.drawbridge.attestation.SoftwareTpm;
import dev.drawbridge.protocol.AgentStatus;
import dev.drawbridge.protocol.Announcement;
import dev.drawbridge.protocol.BootstrapPayload;
import dev.drawbridge.protocol.Mdns;
import io.helidon.common.tls.Tls;
import io.helidon.common.tls.TlsClientAuth;
import io.helidon.webserver.WebServer;
import java.net.URI;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running node agent: the HTTPS command API the conductor polls. {@link #start} refuses to run without a
 * bootstrap payload that verifies; it comes back enrolled (mTLS, controllers only) if the data directory holds
 * an identity from the payload's CA, and otherwise serves a fresh self-signed key until a certificate is installed.
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    /** Request bodies are small JSON; images are pulled, never pushed. */
    static final long MAX_BODY_BYTES = 64 * 1024;
    /**
     * The most the HTTP server reads of one request body. A body over {@link #MAX_BODY_BYTES} but under this is read
     * and thrown away before the 413 is sent, so the client, still writing, gets the answer instead of a reset;
     * anything larger is refused by the server at once.
     */
    static final long DRAIN_LIMIT_BYTES = 1024 * 1024;
    /** Results a simulated agent keeps: enough for the conductor's polls, small enough for a fleet of thousands. */
    static final int SIMULATED_KEEP = 8;
    /** The listener, Helidon's or {@link LightServer}: its port and how to stop it. */
    private interface Listener {
        int port();

        void stop();
    }

    private final Listener server;
    private final TlsIdentity tls;
    private final CommandRunner runner;
    private final BootstrapPayload payload;
    private final Optional<Heartbeat> heartbeat;

    private final Optional<SoftwareTpm> softwareTpm;
    private final Optional<PeerLink> peerLink;
    private final Optional<Mdns> mdns;
    private final AgentApi api;

    private Agent(Listener server, TlsIdentity tls, CommandRunner runner, BootstrapPayload payload,
                  Optional<Heartbeat> heartbeat, Optional<SoftwareTpm> softwareTpm, Optional<PeerLink> peerLink,
                  Optional<Mdns> mdns, AgentApi api) {
        this.api = api;
        this.softwareTpm = softwareTpm;
        this.peerLink = peerLink;
        this.mdns = mdns;
        this.server = server;
        this.tls = tls;
        this.runner = runner;
        this.payload = payload;
        this.heartbeat = heartbeat;
    }

    public static Agent start(AgentConfig config) {
        return start(config, Optional.empty());
    }

    /**
     * A simulated node's agent: the same API, commands, identity and TPM handling as {@link #start}, served by
     * {@link LightServer} instead of Helidon so that thousands fit in one JVM, keeping the last
     * {@value #SIMULATED_KEEP} command results, and showing {@code faults} on the wire when told to.
     */
    public static Agent startSimulated(AgentConfig config, Faults faults) {
        return start(config, Optional.of(faults));
    }

    private static Agent start(AgentConfig config, Optional<Faults> simulated) {
        Payloads.Verified verified = Payloads.read(config.payloadFile());
        BootstrapPayload payload = verified.payload();
        Listen listen = Listen.parse(config.listen());
        DataFiles files = new DataFiles(config.dataDir());
        IdentityStore store = new IdentityStore(files);
        TlsIdentity.Current initial = initialIdentity(store, verified);
        Payloads.admit(verified, files, initial.enrolled(), Clock.systemUTC(), config.payloadFile());
        TlsIdentity tls = new TlsIdentity(initial, verified.root());
        DeployState deployState = new DeployState(files);
        Enrollment enrollment = new Enrollment(payload, tls, store);
        Optional<SoftwareTpm> softwareTpm = Tpms.create(config.tpm());
        CommandExecutor executor = new CommandExecutor(config.hardwareProfile().map(Hardware::profile).orElseGet(Hardware::system), files, enrollment,
                new ImageWriter(TrustStores.jdkDefaultsPlus(verified.root()), deployState), deployState,
                new Reboot(config.rebootCommand()), () -> tls.current().enrolled(), 
                softwareTpm.map(Tpms::software).orElseGet(() -> Tpms.forConfig(config)));
        CommandRunner runner = new CommandRunner(executor, Clock.systemUTC(),
                simulated.isPresent() ? SIMULATED_KEEP : CommandRunner.KEEP);
        Supplier<AgentStatus> status = () -> status(tls, runner, payload);
        PeerRole peerRole = new PeerRole(Announcement.Role.parse(config.peering().role()).orElseThrow(), payload, tls,
                Clock.systemUTC());
        AgentApi api = new AgentApi(runner, status, tls, peerRole);
        Listener server;
        try {
            server = simulated.isPresent() ? light(listen, tls, api, simulated.get()) : helidon(listen, tls, api);
        } catch (RuntimeException e) {
            throw new AgentException("cannot listen on " + config.listen() + ": " + e.getMessage(), e);
        }
        Optional<Heartbeat> heartbeat = payload.mode().equals(BootstrapPayload.MODE_CALLBACK)
                ? Optional.of(Heartbeat.start(payload, tls, config.heartbeatInterval(), status))
                : Optional.empty();
        Optional<PeerLink> peerLink = Optional.empty();
        if (peerRole.role() != Announcement.Role.AGENT) {
            peerRole.open(URI.create(config.peering().issuer().orElseGet(() -> "https://"
                    + Listen.forUrl(listen.host()) + ":" + server.port())));
            Optional<String> controller = config.peering().controller().or(payload::controllerUrl);
            if (controller.isEmpty()) {
                LOG.info("peer role {}: no controller URL (--peer-controller or the payload's), so no peer calls",
                        peerRole.role().wire());
            }
            peerLink = controller.map(c -> PeerLink.start(c, tls, peerRole.role().wire() + " " + payload.nodeName(),
                    config.peering().interval(), Clock.systemUTC()));
        }
        Optional<Mdns> mdns = Optional.empty();
        if (!config.announce().isEmpty()) {
            Announcement.Role role = peerRole.role();
            Mdns m;
            try {
                m = Mdns.open(Mdns.addresses(config.announce()), payload.nodeName());
            } catch (RuntimeException e) {
                server.stop();
                peerLink.ifPresent(PeerLink::close);
                throw new AgentException("cannot announce on " + config.announce() + ": " + e.getMessage(), e);
            }
            m.announce(payload.nodeName(), server.port(), new Announcement(role, payload.nodeId(),
                    Announcement.VERSION, tls.fingerprintHex()));
            // Enrollment and renewal change the key: the TXT record follows, so the controller sees the new one.
            tls.onSwitch(() -> m.update(new Announcement(role, payload.nodeId(), Announcement.VERSION,
                    tls.fingerprintHex())));
            mdns = Optional.of(m);
        }
        LOG.info("agent for node {} ({}) listening on port {}, {} mode, role {}, identity {}, TLS key {}",
                payload.nodeName(), payload.nodeId(), server.port(), payload.mode(), peerRole.role().wire(),
                identityName(tls), tls.fingerprintHex());
        return new Agent(server, tls, runner, payload, heartbeat, softwareTpm, peerLink, mdns, api);
    }

    private static Listener helidon(Listen listen, TlsIdentity tls, AgentApi api) {
        Routes routes = new Routes(api);
        WebServer web = WebServer.builder()
                .host(listen.host())
                .port(listen.port())
                .shutdownHook(false)
                .maxPayloadSize(DRAIN_LIMIT_BYTES)
                .shutdownGracePeriod(Duration.ofSeconds(2))
                // OPTIONAL: the API, not the handshake, answers a missing certificate, with a 403 that says why.
                .tls(Tls.builder().sslContext(tls.sslContext()).clientAuth(TlsClientAuth.OPTIONAL)
                        .enabledProtocols(TlsIdentity.PROTOCOLS).build())
                .routing(routes::register)
                .build()
                .start();
        return new Listener() {
            @Override
            public int port() {
                return web.port();
            }

            @Override
            public void stop() {
                web.stop();
            }
        };
    }

    private static Listener light(Listen listen, TlsIdentity tls, AgentApi api, Faults faults) {
        LightServer light = LightServer.start(listen.host(), listen.port(), tls.sslContext(), api, faults,
                MAX_BODY_BYTES);
        return new Listener() {
            @Override
            public int port() {
                return light.port();
            }

            @Override
            public void stop() {
                light.close();
            }
        };
    }

    private static TlsIdentity.Current initialIdentity(IdentityStore store, Payloads.Verified verified) {
        Optional<TlsIdentity.Current> saved = store.load();
        if (saved.isPresent()) {
            Optional<String> problem = Chains.problem(saved.get().chain(), verified.root());
            if (problem.isEmpty()) {
                return saved.get();
            }
            LOG.warn("ignoring the stored identity: it does not chain to the payload root ({}); serving a fresh key",
                    problem.get());
        }
        KeyPair keys = Keys.generate();
        return new TlsIdentity.Current(keys.getPrivate(),
                List.of(Keys.selfSigned(keys, verified.payload().nodeName())), false);
    }

    private static String identityName(TlsIdentity tls) {
        return tls.current().enrolled() ? "enrolled" : "fresh";
    }

    /** The simulated TPM of a simulated node, so a demo or test can change a PCR as an attacker would. */
    public Optional<SoftwareTpm> simulatedTpm() {
        return softwareTpm;
    }

    public int port() {
        return server.port();
    }

    /**
     * For an agent in a management-controller role that calls its controller: the last call's outcome, after
     * running one now when {@code now} is true. Empty for a provisioning agent, or without a controller URL.
     */
    public Optional<PeerOutcome> peerCall(boolean now) {
        return peerLink.map(l -> now ? l.call() : l.last());
    }

    /** The requests this agent obeyed lately, with the controller certificate that made each. */
    public Contacts contacts() {
        return api.contacts();
    }

    public AgentStatus status() {
        return status(tls, runner, payload);
    }

    private static AgentStatus status(TlsIdentity tls, CommandRunner runner, BootstrapPayload payload) {
        return new AgentStatus(identityName(tls), Optional.of(payload.nodeName()), runner.current(),
                tls.fingerprintHex(), version(), payload.mode());
    }

    static String version() {
        return Optional.ofNullable(Agent.class.getPackage().getImplementationVersion()).orElse("dev");
    }

    @Override
    public void close() {
        heartbeat.ifPresent(Heartbeat::close);
        peerLink.ifPresent(PeerLink::close);
        mdns.ifPresent(Mdns::close);
        server.stop();
        runner.close(Duration.ofSeconds(5));
    }
}
