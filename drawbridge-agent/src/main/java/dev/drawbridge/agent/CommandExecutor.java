package dev.drawbridge.agent;

import dev.drawbridge.protocol.CommandStatus.Progress;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** Dispatches each parsed command to the part of the agent that does it: one exhaustive switch. */
final class CommandExecutor implements CommandRunner.Executor {
    static final String NODE_INFO = "node-info.json";
    private final Hardware hardware;
    private final DataFiles files;
    private final Enrollment enrollment;
    private final ImageWriter images;
    private final DeployState deployState;
    private final Reboot reboot;
    private final Supplier<Boolean> enrolled;
    private final Tpm tpm;

    CommandExecutor(Hardware hardware, DataFiles files, Enrollment enrollment, ImageWriter images,
                    DeployState deployState, Reboot reboot, Supplier<Boolean> enrolled, Tpm tpm) {
        this.tpm = tpm;
        this.hardware = hardware;
        this.files = files;
        this.enrollment = enrollment;
        this.images = images;
        this.deployState = deployState;
        this.reboot = reboot;
        this.enrolled = enrolled;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Outcome execute(Command command, Consumer<Progress> progress) {
        return switch (command) {
            case Command.HardwareGetInfo h -> Outcome.of(hardware.read());
            case Command.NodeSetInfo n -> {
                files.writeJson(NODE_INFO, n.info());
                yield Outcome.of(Map.of("stored", true));
            }
            case Command.ProveTicket p -> enrollment.prove(p.nonce());
            case Command.CreateCsr c -> c.nonce().map(enrollment::createCsr).orElseGet(enrollment::createCsr);
            case Command.InstallCertificate i -> enrollment.install(i);
            case Command.EraseDevices e -> Outcome.of(Eraser.erase(e.devices(), hardware.read().disks()));
            case Command.WriteImage w -> Outcome.of(images.write(w, progress));
            case Command.Reboot r -> Outcome.of(reboot.run());
            case Command.SystemStatus s -> Outcome.of(systemStatus());
            case Command.GetAk g -> Outcome.of(tpm.akInfo());
            case Command.ActivateCredential a -> Outcome.of(tpm.activateCredential(a.credential()));
            case Command.AttestQuote q -> Outcome.of(tpm.quote(q.nonce(), q.selection()));
        };
    }

    private Map<String, Object> systemStatus() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("agent_uptime_seconds", ManagementFactory.getRuntimeMXBean().getUptime() / 1000);
        try {
            // /proc/uptime: "350735.47 234388.90", seconds since boot first
            String first = Files.readString(Path.of("/proc/uptime")).strip().split("\\s+")[0];
            out.put("uptime_seconds", (long) Double.parseDouble(first));
        } catch (IOException | RuntimeException e) {
            out.put("uptime_seconds", ManagementFactory.getRuntimeMXBean().getUptime() / 1000);
        }
        out.put("enrolled", enrolled.get());
        out.put("deploy", deployState.read());
        return out;
    }
}
