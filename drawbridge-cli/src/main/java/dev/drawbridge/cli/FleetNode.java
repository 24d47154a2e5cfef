package dev.drawbridge.cli;

import dev.drawbridge.agent.Agent;
import dev.drawbridge.agent.AgentConfig;
import dev.drawbridge.protocol.HardwareInfo;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One node of a simulated fleet: a real agent (own TLS key, own software TPM, own hardware profile) on its own
 * loopback address, optionally behind a {@link FleetFront} that can silence it or slow it down. The controller
 * is given the front's address, so the faults are seen on the wire exactly as a real slow or dead host would be.
 */
final class FleetNode implements AutoCloseable {
    private final String name;
    private final Agent agent;
    private final Optional<FleetFront> front;
    private final String host;
    private final Path disk;

    private FleetNode(String name, Agent agent, Optional<FleetFront> front, String host, Path disk) {
        this.name = name;
        this.agent = agent;
        this.front = front;
        this.host = host;
        this.disk = disk;
    }

    /** Starts the agent on {@code host}, port chosen by the system, and its front when {@code faults} is set. */
    static FleetNode start(Path dir, String name, String host, String payload, HardwareInfo profile, boolean faults) {
        try {
            Files.createDirectories(dir);
            Path payloadFile = Files.writeString(dir.resolve("payload.jws"), payload);
            Path profileFile = dir.resolve("hardware.json");
            Wire.JSON.writeValue(profileFile.toFile(), profile);
            Path disk = dir.resolve("disk.img").toAbsolutePath();
            try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
                f.setLength(4L << 20); // sparse: a thousand nodes must not cost gigabytes of /tmp
            }
            Agent agent = Agent.start(AgentConfig.of(dir.resolve("agent-data"), payloadFile)
                    .withListen(host + ":0")
                    .withHardwareProfile(profileFile)
                    .withRebootCommand(List.of("true"))
                    .withTpm("software"));
            Optional<FleetFront> front = Optional.empty();
            if (faults) {
                try {
                    front = Optional.of(FleetFront.start(host, agent.port()));
                } catch (RuntimeException e) {
                    agent.close();
                    throw e;
                }
            }
            return new FleetNode(name, agent, front, host, disk);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String name() {
        return name;
    }

    /** The address the controller polls: the front's when there is one, else the agent's own. */
    String address() {
        return host + ":" + front.map(FleetFront::port).orElse(agent.port());
    }

    Path disk() {
        return disk;
    }

    /** Extends {@code pcr} of the node's software TPM with random bytes, as a changed boot component would. */
    void drift(int pcr) {
        byte[] digest = new byte[32];
        new java.security.SecureRandom().nextBytes(digest);
        agent.simulatedTpm().orElseThrow().extend(pcr, digest);
    }

    FleetFront front() {
        return front.orElseThrow(() -> new CliException("faults are off (--no-faults): " + name
                + " can drift but not be silenced or slowed"));
    }

    @Override
    public void close() {
        front.ifPresent(FleetFront::close);
        agent.close();
    }
}
