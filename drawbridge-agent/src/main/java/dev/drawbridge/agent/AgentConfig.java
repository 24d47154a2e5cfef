package dev.drawbridge.agent;

import dev.drawbridge.protocol.Announcement;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the agent needs to start.
 *
 * @param listen            {@code host:port} to serve HTTPS on; IPv6 hosts in brackets. Default {@code [::]:9999}.
 * @param dataDir           where the enrolled identity, node info and deploy state live (created 0700)
 * @param payloadFile       the bootstrap payload (compact JWS) from the controller
 * @param hardwareProfile   a HardwareInfo JSON file answered instead of reading /sys; for simulated nodes only
 * @param rebootCommand     argv run by {@code power.reboot}; empty (the default) refuses to reboot
 * @param heartbeatInterval callback mode only: how often to heartbeat to the controller. Default 10 s.
 * @param tpm               {@code none} (default: attestation commands fail), {@code software} (a simulated TPM,
 *                          for simulated nodes only) or {@code tpm2-tools} (a real TPM through tpm2-tools)
 * @param tcti              with {@code tpm2-tools}: the TCTI they use ({@code TPM2TOOLS_TCTI}). Default
 *                          {@code device:/dev/tpmrm0}, the kernel's resource manager.
 * @param peering           the agent's role, and in a management-controller role how it peers with its controller
 * @param announce          interfaces (or addresses) to announce {@code _drawbridge._tcp} on by mDNS, with the role,
 *                          node id and TLS key fingerprint; empty (the default) announces nothing
 */
public record AgentConfig(String listen, Path dataDir, Path payloadFile, Optional<Path> hardwareProfile,
                          List<String> rebootCommand, Duration heartbeatInterval, String tpm, String tcti,
                          Peering peering, List<String> announce) {
    /**
     * The role the agent plays, and for a management-controller role how it peers (docs/protocol.md).
     *
     * @param role       {@code agent} (default: a provisioning agent; it serves no peer API and never calls out),
     *                   {@code chassis-bmc} or {@code node-bmc}: it also serves the OAuth endpoints and the peer API to
     *                   its controller, and, once enrolled, registers with the controller and calls its peer API
     * @param issuer     the URL the controller reaches this agent at, which its authorization server names as issuer;
     *                   default {@code https://<the listen address>:<port>}
     * @param controller the controller's URL for the agent's own calls; default the payload's controller URL. With
     *                   neither, the agent serves the peer API but makes no calls.
     * @param interval   how often a peering agent calls its controller's peer API (default 60 s)
     */
    public record Peering(String role, Optional<String> issuer, Optional<String> controller, Duration interval) {
        public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(60);

        public Peering {
            Objects.requireNonNull(role, "role");
            if (Announcement.Role.parse(role).filter(r -> r != Announcement.Role.CONTROLLER).isEmpty()) {
                throw new IllegalArgumentException("role must be agent, chassis-bmc or node-bmc, not '" + role + "'");
            }
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("peer interval must be positive");
            }
        }

        public static Peering none() {
            return new Peering("agent", Optional.empty(), Optional.empty(), DEFAULT_INTERVAL);
        }
    }

    public static final String DEFAULT_LISTEN = "[::]:9999";
    public static final String DEFAULT_TCTI = "device:/dev/tpmrm0";
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(10);

    public AgentConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(payloadFile, "payloadFile");
        Objects.requireNonNull(hardwareProfile, "hardwareProfile");
        Objects.requireNonNull(tpm, "tpm");
        Objects.requireNonNull(tcti, "tcti");
        Objects.requireNonNull(peering, "peering");
        announce = List.copyOf(announce);
        rebootCommand = List.copyOf(rebootCommand);
        if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
            throw new IllegalArgumentException("heartbeat interval must be positive");
        }
    }

    /** Defaults for everything but the two paths every agent needs. */
    public static AgentConfig of(Path dataDir, Path payloadFile) {
        return new AgentConfig(DEFAULT_LISTEN, dataDir, payloadFile, Optional.empty(), List.of(), DEFAULT_HEARTBEAT, "none",
                DEFAULT_TCTI, Peering.none(), List.of());
    }

    public AgentConfig withListen(String value) {
        return new AgentConfig(value, dataDir, payloadFile, hardwareProfile, rebootCommand, heartbeatInterval, tpm, tcti, peering, announce);
    }

    public AgentConfig withHardwareProfile(Path value) {
        return new AgentConfig(listen, dataDir, payloadFile, Optional.of(value), rebootCommand, heartbeatInterval, tpm, tcti, peering, announce);
    }

    public AgentConfig withRebootCommand(List<String> value) {
        return new AgentConfig(listen, dataDir, payloadFile, hardwareProfile, value, heartbeatInterval, tpm, tcti, peering, announce);
    }

    public AgentConfig withTpm(String value) {
        return new AgentConfig(listen, dataDir, payloadFile, hardwareProfile, rebootCommand, heartbeatInterval, value, tcti, peering, announce);
    }

    public AgentConfig withHeartbeatInterval(Duration value) {
        return new AgentConfig(listen, dataDir, payloadFile, hardwareProfile, rebootCommand, value, tpm, tcti, peering, announce);
    }

    public AgentConfig withPeering(Peering value) {
        return new AgentConfig(listen, dataDir, payloadFile, hardwareProfile, rebootCommand, heartbeatInterval, tpm, tcti,
                value, announce);
    }

    public AgentConfig withAnnounce(List<String> value) {
        return new AgentConfig(listen, dataDir, payloadFile, hardwareProfile, rebootCommand, heartbeatInterval, tpm, tcti,
                peering, value);
    }

    public AgentConfig withTcti(String value) {
        return new AgentConfig(listen, dataDir, payloadFile, hardwareProfile, rebootCommand, heartbeatInterval, tpm, value, peering, announce);
    }
}
