package dev.drawbridge.cli;

import dev.drawbridge.agent.Agent;
import dev.drawbridge.agent.AgentConfig;
import dev.drawbridge.agent.BootstrapSource;
import dev.drawbridge.controller.config.ConfigException;
import dev.drawbridge.controller.config.ConfigLoader;
import dev.drawbridge.agent.AgentException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code drawbridge agent}: runs the node agent until SIGTERM or Ctrl-C. */
@Command(name = "agent", description = "Run the node agent (HTTPS command API polled by the controller).")
final class AgentCommand implements Callable<Integer> {
    @Option(names = "--listen", defaultValue = AgentConfig.DEFAULT_LISTEN,
            description = "HOST:PORT to listen on; IPv6 in brackets. Default: ${DEFAULT-VALUE}.")
    String listen;

    @Option(names = "--data-dir", required = true,
            description = "Directory for the enrolled identity, node info and deploy state (created 0700).")
    Path dataDir;

    @Option(names = "--payload",
            description = "Bootstrap payload file from 'drawbridge node payload NAME' (or use --bootstrap).")
    Path payload;

    @Option(names = "--bootstrap", paramLabel = "SOURCE",
            description = "Where the payload comes from: file:PATH, or config-drive (the volume labelled config-2,"
                    + " or config-drive:DEVICE_OR_IMAGE), read with isoinfo and kept in the data directory.")
    String bootstrap;

    @Option(names = "--hardware-profile",
            description = "HardwareInfo JSON to report instead of reading /sys (simulated nodes only).")
    Path hardwareProfile;

    @Option(names = "--tpm", defaultValue = "none",
            description = "TPM for attestation: none, software (simulated nodes only), or tpm2-tools (a real TPM "
                    + "through tpm2-tools; see --tcti). Default: ${DEFAULT-VALUE}.")
    String tpm;

    @Option(names = "--tcti", defaultValue = AgentConfig.DEFAULT_TCTI,
            description = "With --tpm tpm2-tools: the TCTI tpm2-tools use (TPM2TOOLS_TCTI), e.g. "
                    + "swtpm:host=127.0.0.1,port=2321. Default: ${DEFAULT-VALUE}.")
    String tcti;

    @Option(names = "--reboot-command",
            description = "Command for power.reboot, split on spaces, run without a shell (e.g. \"systemctl reboot\"). "
                    + "Default: none, and power.reboot fails.")
    String rebootCommand;

    @Option(names = "--role", defaultValue = "agent",
            description = "agent (a provisioning agent: serves the command API, never calls out), chassis-bmc or "
                    + "node-bmc (a management controller: also serves OAuth and the peer API to its controller, and "
                    + "calls the controller's peer API once enrolled). Default: ${DEFAULT-VALUE}.")
    String role;

    @Option(names = "--peer-issuer",
            description = "With a BMC role: the URL the controller reaches this agent at (its OAuth issuer). "
                    + "Default: https://<listen host or host name>:<port>.")
    String peerIssuer;

    @Option(names = "--peer-controller",
            description = "With a BMC role: the controller URL to call. Default: the payload's controller URL; with "
                    + "neither, no calls are made.")
    String peerController;

    @Option(names = "--peer-interval", defaultValue = "60s",
            description = "With a BMC role: how often to call the controller's peer API. Default: ${DEFAULT-VALUE}.")
    String peerInterval;

    @Option(names = "--announce", split = ",", paramLabel = "IFACE",
            description = "Announce _drawbridge._tcp by mDNS on these interfaces (or addresses), with this agent's role,"
                    + " node id and TLS key fingerprint. Default: announce nothing.")
    java.util.List<String> announce = java.util.List.of();

    @Override
    public Integer call() throws InterruptedException {
        Logging.configure("plain", "info");
        if ((payload == null) == (bootstrap == null)) {
            throw new CliException("give exactly one of --payload FILE and --bootstrap SOURCE");
        }
        Path payloadFile;
        try {
            payloadFile = payload != null ? payload : BootstrapSource.fetch(bootstrap, dataDir);
        } catch (AgentException e) {
            throw new CliException("refusing to start: " + e.getMessage());
        }
        AgentConfig config = AgentConfig.of(dataDir, payloadFile).withListen(listen).withTpm(tpm).withTcti(tcti);
        if (hardwareProfile != null) {
            config = config.withHardwareProfile(hardwareProfile);
        }
        try {
            config = config.withPeering(new AgentConfig.Peering(role, Optional.ofNullable(peerIssuer),
                    Optional.ofNullable(peerController), ConfigLoader.duration(peerInterval)));
        } catch (IllegalArgumentException | ConfigException e) {
            throw new CliException(e.getMessage());
        }
        config = config.withAnnounce(announce);
        if (rebootCommand != null && !rebootCommand.isBlank()) {
            config = config.withRebootCommand(List.copyOf(Arrays.asList(rebootCommand.strip().split("\\s+"))));
        }
        Agent agent;
        try {
            agent = Agent.start(config);
        } catch (AgentException e) {
            throw new CliException(e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
        return 0;
    }
}
