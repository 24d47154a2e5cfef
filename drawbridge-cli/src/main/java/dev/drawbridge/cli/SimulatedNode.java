package dev.drawbridge.cli;

import dev.drawbridge.agent.Agent;
import dev.drawbridge.agent.AgentConfig;
import dev.drawbridge.protocol.HardwareInfo;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.Locale;
import java.util.UUID;

/**
 * A simulated machine: a real agent (real HTTPS, real commands) whose hardware report comes from a
 * profile file and whose "disk" is a file, so a whole lifecycle runs on one host without root.
 */
public final class SimulatedNode implements AutoCloseable {
    private final Agent agent;
    private final Path disk;
    private final String host;

    private SimulatedNode(Agent agent, Path disk, String host) {
        this.agent = agent;
        this.disk = disk;
        this.host = host;
    }

    /** The profile a simulated node reports: one NIC with {@code mac}, one 64 MiB disk. */
    public static HardwareInfo profile(String mac) {
        return profile(mac, 4L << 30);
    }

    public static HardwareInfo profile(String mac, long memoryBytes) {
        return new HardwareInfo(List.of(new HardwareInfo.Nic("eth0", mac)), UUID.randomUUID().toString(),
                "SIM-" + mac.replace(":", "").toUpperCase(Locale.ROOT), 2, memoryBytes,
                List.of(new HardwareInfo.Disk("vda", 64L << 20)));
    }

    /**
     * {@code profile} with its first disk backed by the file {@code disk}: the agent erases only devices it
     * reports, so a simulated node reports the file that stands in for its disk.
     */
    static HardwareInfo backedBy(HardwareInfo profile, Path disk) {
        List<HardwareInfo.Disk> disks = new ArrayList<>(profile.disks());
        if (disks.isEmpty()) {
            disks.add(new HardwareInfo.Disk("vda", 4L << 20, disk.toString(), false));
        } else {
            HardwareInfo.Disk first = disks.getFirst();
            disks.set(0, new HardwareInfo.Disk(first.name(), first.sizeBytes(), disk.toString(), false));
        }
        return new HardwareInfo(profile.interfaces(), profile.systemUuid(), profile.serial(), profile.cpus(),
                profile.memoryBytes(), disks);
    }

    /** Starts an agent listening on {@code host} (port chosen by the system) with the given payload. */
    public static SimulatedNode start(Path dir, String host, String payload, HardwareInfo profile) {
        return start(dir, host, payload, profile, "software", "");
    }

    /** As {@link #start(Path, String, String, HardwareInfo)}, with a real TPM through tpm2-tools when {@code tpm} says so. */
    public static SimulatedNode start(Path dir, String host, String payload, HardwareInfo profile, String tpm,
                                      String tcti) {
        return start(dir, host, payload, profile, tpm, tcti, c -> c);
    }

    /** As above, with the agent's configuration changed by {@code tweak} (its role, what it announces). */
    public static SimulatedNode start(Path dir, String host, String payload, HardwareInfo profile, String tpm,
                                      String tcti, UnaryOperator<AgentConfig> tweak) {
        try {
            Files.createDirectories(dir);
            Path payloadFile = Files.writeString(dir.resolve("payload.jws"), payload);
            Path profileFile = dir.resolve("hardware.json");
            Path disk = dir.resolve("disk.img").toAbsolutePath();
            Files.write(disk, new byte[4 << 20]);
            Wire.JSON.writeValue(profileFile.toFile(), backedBy(profile, disk));
            Agent agent = Agent.start(tweak.apply(AgentConfig.of(dir.resolve("agent-data"), payloadFile)
                    .withListen(host.contains(":") ? "[" + host + "]:0" : host + ":0")
                    .withHardwareProfile(profileFile)
                    .withRebootCommand(List.of("true"))
                    .withTpm(tpm)
                    .withTcti(tcti.isEmpty() ? AgentConfig.DEFAULT_TCTI : tcti)));
            return new SimulatedNode(agent, disk, host);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String address() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + agent.port();
    }

    public Path disk() {
        return disk;
    }

    public Agent agent() {
        return agent;
    }

    @Override
    public void close() {
        agent.close();
    }
}
