package dev.drawbridge.agent;

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
 */
public record AgentConfig(String listen, Path dataDir, Path payloadFile, Optional<Path> hardwareProfile,
                          List<String> rebootCommand, Duration heartbeatInterval, String tpm, String tcti) {
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
        rebootCommand = List.copyOf(rebootCommand);
        if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
            throw new IllegalArgumentException("heartbeat interval must be positive");
        }
    }

    /** Defaults for everything but the two paths every agent needs. */
    public static AgentConfig of(Path dataDir, Path payloadFile) {
        return new AgentConfig(DEFAULT_LISTEN, dataDir, payloadFile, Optional.empty(), List.of(), DEFAULT_HEARTBEAT, "none",
                DEFAULT_TCTI);
    }

    public AgentConfig withListen(String value) {
        return new AgentConfig(value, dataDir, payloadFile, hardwareProfile, rebootCommand, heartbeatInterval, tpm, tcti);
    }

    public AgentConfig withHardwareProfile(Path value) {
        return new AgentConfig(listen, dataDir, payloadFile, Optional.of(value), rebootCommand, heartbeatInterval, tpm, tcti);
    }

    public AgentConfig withRebootCommand(List<String> value) {
        return new AgentConfig(listen, dataDir, payloadFile, hardwareProfile, value, heartbeatInterval, tpm, tcti);
    }

    public AgentConfig withTpm(String value) {
        return new AgentConfig(listen, dataDir, payloadFile, hardwareProfile, rebootCommand, heartbeatInterval, value, tcti);
    }

    public AgentConfig withHeartbeatInterval(Duration value) {
        return new AgentConfig(listen, dataDir, payloadFile, hardwareProfile, rebootCommand, value, tpm, tcti);
    }

    public AgentConfig withTcti(String value) {
        return new AgentConfig(listen, dataDir, payloadFile, hardwareProfile, rebootCommand, heartbeatInterval, tpm, value);
    }
}
