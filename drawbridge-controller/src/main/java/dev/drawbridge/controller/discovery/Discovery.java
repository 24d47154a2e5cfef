package dev.drawbridge.controller.discovery;

import dev.drawbridge.controller.config.DiscoveryConfig;
import dev.drawbridge.protocol.Announcement;
import dev.drawbridge.protocol.Mdns;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Discovery while the controller runs: mDNS on the configured interfaces, this controller announced (unless
 * {@code discovery.announce} is false), every announcement heard handed to {@link DiscoveryService}, and the gauges
 * {@code drawbridge_discovered_devices{role=...}} (with {@code role="flagged"} for devices flagged for a changed
 * key) in {@code /metrics}. The gauges are there with discovery off too, reading zero.
 */
public final class Discovery implements AutoCloseable {
    private static final Duration GAUGE_CACHE = Duration.ofSeconds(5);
    private final Optional<Mdns> mdns;
    private final DiscoveryService service;
    private volatile Map<String, Long> counts = Map.of();
    private volatile Instant countedAt = Instant.EPOCH;

    private Discovery(Optional<Mdns> mdns, DiscoveryService service) {
        this.mdns = mdns;
        this.service = service;
    }

    /**
     * Starts discovery as {@code cfg} says, announcing {@code self} as {@code instance} on {@code port}; a bad
     * interface name is an IllegalArgumentException naming it.
     */
    public static Discovery start(DiscoveryConfig cfg, DiscoveryService service, Announcement self, String instance,
                                  int port, MeterRegistry metrics) {
        Optional<Mdns> mdns = Optional.empty();
        if (cfg.enabled()) {
            List<InetAddress> addresses = Mdns.addresses(cfg.interfaces());
            Mdns m = Mdns.open(addresses, instance);
            if (cfg.announce()) {
                m.announce(instance, port, self);
            }
            m.browse(service::seen);
            mdns = Optional.of(m);
        }
        Discovery d = new Discovery(mdns, service);
        List<String> roles = new java.util.ArrayList<>(java.util.Arrays.stream(Announcement.Role.values())
                .map(Announcement.Role::wire).toList());
        roles.add("flagged");
        for (String role : roles) {
            Gauge.builder("drawbridge.discovered.devices", d, x -> x.count(role)).tag("role", role)
                    .description("devices discovered over DNS-SD, by announced role; flagged: a changed key")
                    .register(metrics);
        }
        Gauge.builder("drawbridge.discovery.ignored", service, s -> s.refusedAnnouncements()).tag("why", "not-ours")
                .description("announcements heard that were no Drawbridge TXT record, or past discovery.max-devices")
                .register(metrics);
        Gauge.builder("drawbridge.discovery.ignored", service, s -> s.droppedDevices()).tag("why", "max-devices")
                .description("announcements heard that were no Drawbridge TXT record, or past discovery.max-devices")
                .register(metrics);
        return d;
    }

    /** What discovery heard, and the operations on it. */
    public DiscoveryService service() {
        return service;
    }

    private double count(String role) {
        if (Instant.now().isAfter(countedAt.plus(GAUGE_CACHE))) {
            counts = service.counts();
            countedAt = Instant.now();
        }
        return counts.getOrDefault(role, 0L);
    }

    @Override
    public void close() {
        mdns.ifPresent(Mdns::close);
    }
}
