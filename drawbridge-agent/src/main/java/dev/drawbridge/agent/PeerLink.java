package dev.drawbridge.agent;

import dev.drawbridge.oauth.PeerClient;
import dev.drawbridge.oauth.Thumbprints;
import dev.drawbridge.pki.TlsContexts;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A peering agent's own calls to its controller, once enrolled and every {@code interval}: it registers a
 * {@code tls_client_auth} client at the controller (RFC 7591, scope {@code peer}) with its node certificate, obtains
 * a certificate-bound token by {@code client_credentials}, and reads the controller's peer API over mutual TLS. A new
 * node certificate (a renewal) means a new registration, the old client deleted (RFC 7592). A refusal is recorded
 * and not worked around: a fenced node's client stays disabled, and the agent does not register again until its
 * certificate changes. These are the only calls a peering agent makes; a provisioning agent makes none.
 */
final class PeerLink implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PeerLink.class);

    private record Registration(String clientId, String token, String thumbprint) {}

    private final String controller;
    private final TlsIdentity tls;
    private final String name;
    private final Clock clock;
    private final ScheduledExecutorService timer;
    private volatile PeerOutcome last;
    private Registration registration;

    private PeerLink(String controller, TlsIdentity tls, String name, Clock clock) {
        this.controller = controller;
        this.tls = tls;
        this.name = name;
        this.clock = clock;
        this.last = new PeerOutcome(clock.instant(), "waiting", "not called yet", Map.of());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "peer-link");
            t.setDaemon(true);
            return t;
        });
    }

    static PeerLink start(String controller, TlsIdentity tls, String name, Duration interval, Clock clock) {
        PeerClient.base(controller);
        PeerLink link = new PeerLink(controller, tls, name, clock);
        link.timer.scheduleWithFixedDelay(link::callQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return link;
    }

    PeerOutcome last() {
        return last;
    }

    private void callQuietly() {
        try {
            call();
        } catch (RuntimeException e) {
            LOG.warn("peer call to {} failed: {}", controller, e.getMessage());
            last = new PeerOutcome(clock.instant(), "refused", e.getMessage(), Map.of());
        }
    }

    /** One round: register if needed, a token, the peer routes. */
    synchronized PeerOutcome call() {
        TlsIdentity.Current id = tls.current();
        if (!id.enrolled()) {
            last = new PeerOutcome(clock.instant(), "waiting", "not enrolled yet: the controller has not issued this"
                    + " node's certificate", Map.of());
            return last;
        }
        SSLContext mutual = TlsContexts.mutual(List.of(tls.root()), id.key(), id.chain());
        PeerClient peer = PeerClient.connect(controller, mutual);
        String thumbprint = Thumbprints.of(id.chain().getFirst());
        if (registration == null || !registration.thumbprint().equals(thumbprint)) {
            Optional<Registration> old = Optional.ofNullable(registration);
            PeerClient.Registered reg = peer.registerCertificate(name, id.chain().getFirst());
            registration = new Registration(reg.clientId(), reg.registrationToken(), thumbprint);
            old.ifPresent(o -> peer.delete(o.clientId(), o.token()).ifPresent(problem -> LOG.warn(
                    "could not delete the old peer client {} at {}: {}", o.clientId(), controller, problem)));
            LOG.info("registered with {} as peer client {} ({})", controller, reg.clientId(), reg.status());
            if (!"enabled".equals(reg.status())) {
                last = new PeerOutcome(clock.instant(), "waiting", "the controller's trust policy answered "
                        + reg.status() + " for client " + reg.clientId(), Map.of());
                return last;
            }
        }
        try {
            Map<String, Object> answers = new java.util.LinkedHashMap<>(peer.routes(peer.token(registration.clientId())));
            last = new PeerOutcome(clock.instant(), "ok", "identity, health and verdict answered", answers);
        } catch (PeerClient.Failure f) {
            last = new PeerOutcome(clock.instant(), "refused", f.getMessage(), Map.of());
        }
        return last;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
