package dev.drawbridge.cli;

import dev.drawbridge.agent.Agent;
import dev.drawbridge.agent.AgentConfig;
import dev.drawbridge.agent.Faults;
import dev.drawbridge.protocol.HardwareInfo;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;

/**
 * One node of a simulated fleet: an agent (own TLS key, own software TPM, own hardware profile, the agent's own
 * API and commands) on its own loopback address, served by the agent's light listener so thousands fit in one
 * JVM. Its {@link Faults} can silence it or slow it down on the wire, as a hung or slow host would be.
 */
final class FleetNode implements AutoCloseable {
    private final String name;
    private final Agent agent;
    private final Faults faults;
    private final String host;
    private final Path disk;

    private FleetNode(String name, Agent agent, Faults faults, String host, Path disk) {
        this.name = name;
        this.agent = agent;
        this.faults = faults;
        this.host = host;
        this.disk = disk;
    }

    /** Starts the agent on {@code host}, port chosen by the system. */
    static FleetNode start(Path dir, String name, String host, String payload, HardwareInfo profile) {
        return start(dir, name, host, payload, profile, List.of());
    }

    /** As above, announcing {@code _drawbridge._tcp} by mDNS on {@code announce} (interfaces or addresses). */
    static FleetNode start(Path dir, String name, String host, String payload, HardwareInfo profile,
                           List<String> announce) {
        try {
            Files.createDirectories(dir);
            Path payloadFile = Files.writeString(dir.resolve("payload.jws"), payload);
            Path profileFile = dir.resolve("hardware.json");
            Path disk = dir.resolve("disk.img").toAbsolutePath();
            try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
                f.setLength(4L << 20); // sparse: a thousand nodes must not cost gigabytes of /tmp
            }
            Wire.JSON.writeValue(profileFile.toFile(), SimulatedNode.backedBy(profile, disk));
            Faults faults = new Faults();
            Agent agent = Agent.startSimulated(AgentConfig.of(dir.resolve("agent-data"), payloadFile)
                    .withListen(host + ":0")
                    .withHardwareProfile(profileFile)
                    .withRebootCommand(List.of("true"))
                    .withTpm("software")
                    .withAnnounce(announce), faults);
            return new FleetNode(name, agent, faults, host, disk);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String name() {
        return name;
    }

    /** The address the controller polls. */
    String address() {
        return host + ":" + agent.port();
    }

    Path disk() {
        return disk;
    }

    /** Extends {@code pcr} of the node's software TPM with random bytes, as a changed boot component would. */
    void drift(int pcr) {
        byte[] digest = new byte[32];
        new SecureRandom().nextBytes(digest);
        agent.simulatedTpm().orElseThrow().extend(pcr, digest);
    }

    Faults faults() {
        return faults;
    }

    @Override
    public void close() {
        agent.close();
    }
}
