package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.agent.BootstrapSource;
import dev.drawbridge.testkit.NetNs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serial channel end to end over two pty pairs made with socat, joined by a relay in the test that damages
 * the line: it flips bytes, drops frames and delays them past the acknowledgement timeout. Enrollment still
 * completes with no IP path between node and controller (the agent never learns the controller's address), and
 * openssl verifies the certificate against the CA. A line that damages every frame fails past the retry limit and
 * leaves no certificate behind.
 */
class SerialEnrollTest {
    @TempDir Path dir;

    /** What the relay does to the n-th line (from 0) in one direction. */
    enum Fault { NONE, FLIP, DROP, DELAY }

    @Test
    @DisplayName("enrollment over a serial line that flips bytes, drops and delays frames completes; openssl verifies")
    void noisyLine() throws Exception {
        NetNs.require("socat", "socat");
        NetNs.require("openssl", "openssl");
        // Down (controller to node) and up (node to controller), each with its own schedule of damage.
        IntFunction<Fault> down = n -> switch (n) {
            case 0 -> Fault.FLIP;   // the payload's first copy arrives damaged: NAK, sent again
            case 3 -> Fault.DROP;   // a later frame is lost: no ACK, sent again
            case 5 -> Fault.DELAY;  // one arrives late: sent again meanwhile, the late copy is a duplicate
            default -> Fault.NONE;
        };
        IntFunction<Fault> up = n -> switch (n) {
            case 1 -> Fault.FLIP;
            case 2 -> Fault.DROP;
            default -> Fault.NONE;
        };
        try (Fleet fleet = new Fleet(dir); Line line = Line.open(dir, down, up)) {
            fleet.api.post("/v1/nodes", Map.of("name", "ser-1", "macs", List.of("52:54:00:5e:00:01")));
            Path agentData = dir.resolve("ser-1").resolve("agent-data");
            CompletableFuture<Path> node = CompletableFuture.supplyAsync(() ->
                    BootstrapSource.fetch("serial:" + line.node(), agentData));
            int code = CliAgainstRunningControllerTest.raw("serial-enroll", "ser-1", "--device",
                    line.controller().toString(), "--ack-timeout", "1", "--data-dir",
                    fleet.controller.dataDir().root().toString()).exit();
            assertThat(code).isZero();
            Path payload = node.get(60, TimeUnit.SECONDS);
            assertThat(line.damaged()).as("the relay really damaged the line").isGreaterThanOrEqualTo(4);

            JsonNode certs = fleet.api.get(NodeCommand.path("ser-1") + "/certificates").path("items");
            assertThat(certs).hasSize(1);
            Path pem = Files.writeString(dir.resolve("ser-1.pem"), certs.get(0).path("certificate").asText());
            Process verify = new ProcessBuilder("openssl", "verify", "-CAfile",
                    fleet.controller.dataDir().root().resolve("ca.pem").toString(), pem.toString())
                    .redirectErrorStream(true).start();
            String out = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(verify.waitFor()).as(out).isZero();
            assertThat(out).contains(": OK");

            // A restart after the line enrolled it needs no line: the kept payload and identity are used.
            assertThat(BootstrapSource.fetch("serial:" + dir.resolve("no-such-tty"), agentData)).isEqualTo(payload);

            // The agent starts enrolled from what came down the line.
            SimulatedNode agent = SimulatedNode.start(dir.resolve("ser-1"), "127.0.0.1", Files.readString(payload),
                    SimulatedNode.profile("52:54:00:5e:00:01"));
            fleet.nodes.add(agent);
            assertThat(agent.agent().status().identity()).isEqualTo("enrolled");
        }
    }

    @Test
    @DisplayName("through a console server (socat joining a TCP port to the node's pty, as ser2net's raw mode does):"
            + " serial-enroll --console enrolls the node; a bad --console is refused with the form to use")
    void consoleServer() throws Exception {
        NetNs.require("socat", "socat");
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path tty = dir.resolve("console-node");
        // The pty first, so it exists before anyone connects; socat then listens on the TCP port for one session.
        Process server = new ProcessBuilder("socat", "pty,raw,echo=0,link=" + tty,
                "tcp-listen:" + port + ",bind=127.0.0.1,reuseaddr").redirectErrorStream(true)
                .redirectOutput(dir.resolve("console.log").toFile()).start();
        try (Fleet fleet = new Fleet(dir)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.exists(tty) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(tty).as("socat made the node's pty").exists();
            fleet.api.post("/v1/nodes", Map.of("name", "ser-3", "macs", List.of("52:54:00:5e:00:03")));
            Path agentData = dir.resolve("ser-3-data");
            CompletableFuture<Path> node = CompletableFuture.supplyAsync(() ->
                    BootstrapSource.fetch("serial:" + tty, agentData));
            var bad = CliAgainstRunningControllerTest.raw("serial-enroll", "ser-3", "--console", "::1:" + port,
                    "--data-dir", fleet.controller.dataDir().root().toString());
            assertThat(bad.exit()).isNotZero();
            assertThat(bad.err()).contains("[V6]:PORT");
            var run = CliAgainstRunningControllerTest.raw("serial-enroll", "ser-3", "--console", "127.0.0.1:" + port,
                    "--data-dir", fleet.controller.dataDir().root().toString());
            assertThat(run.exit()).as(run.err()).isZero();
            assertThat(run.out()).contains("over console server 127.0.0.1:" + port);
            node.get(60, TimeUnit.SECONDS);
            assertThat(fleet.api.get(NodeCommand.path("ser-3") + "/certificates").path("items")).hasSize(1);
            assertThat(Files.exists(agentData.resolve("identity.p12"))).isTrue();
        } finally {
            server.destroyForcibly();
        }
    }

    @Test
    @DisplayName("a line that damages every frame fails past the retry limit with one line, and no certificate is issued")
    void retryLimit() throws Exception {
        NetNs.require("socat", "socat");
        try (Fleet fleet = new Fleet(dir); Line line = Line.open(dir, n -> Fault.FLIP, n -> Fault.FLIP)) {
            fleet.api.post("/v1/nodes", Map.of("name", "ser-2", "macs", List.of("52:54:00:5e:00:02")));
            CompletableFuture<Path> node = CompletableFuture.supplyAsync(() ->
                    BootstrapSource.fetch("serial:" + line.node(), dir.resolve("ser-2-data")));
            var run = CliAgainstRunningControllerTest.raw("serial-enroll", "ser-2", "--device",
                    line.controller().toString(), "--ack-timeout", "1", "--tries", "3", "--data-dir",
                    fleet.controller.dataDir().root().toString());
            assertThat(run.exit()).isNotZero();
            assertThat(run.err()).contains("no acknowledgement for PAYLOAD after 3 tries");
            assertThat(fleet.api.get(NodeCommand.path("ser-2") + "/certificates").path("items")).isEmpty();
            node.cancel(true);
            assertThat(Files.exists(dir.resolve("ser-2-data").resolve("identity.p12"))).isFalse();
        }
    }

    /**
     * Two socat pty pairs, {@code controller <-> a} and {@code b <-> node}, and a relay copying lines between a and
     * b in both directions, damaging them as told.
     */
    record Line(Path controller, Path node, List<Process> socats, AtomicInteger damage) implements AutoCloseable {
        static Line open(Path dir, IntFunction<Fault> down, IntFunction<Fault> up) throws Exception {
            List<Process> socats = new ArrayList<>();
            Path ctl = dir.resolve("tty-controller");
            Path a = dir.resolve("tty-a");
            Path b = dir.resolve("tty-b");
            Path node = dir.resolve("tty-node");
            socats.add(socat(ctl, a, dir.resolve("socat-1.log")));
            socats.add(socat(b, node, dir.resolve("socat-2.log")));
            Instant end = Instant.now().plusSeconds(10);
            while (!(Files.exists(ctl) && Files.exists(a) && Files.exists(b) && Files.exists(node))) {
                if (Instant.now().isAfter(end)) {
                    throw new AssertionError("socat made no ptys: " + Files.readString(dir.resolve("socat-1.log")));
                }
                Thread.sleep(50);
            }
            AtomicInteger damage = new AtomicInteger();
            relay(a, b, down, damage);
            relay(b, a, up, damage);
            return new Line(ctl, node, socats, damage);
        }

        int damaged() {
            return damage.get();
        }

        private static Process socat(Path one, Path two, Path log) throws IOException {
            return new ProcessBuilder("socat", "pty,raw,echo=0,link=" + one, "pty,raw,echo=0,link=" + two)
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        }

        private static void relay(Path from, Path to, IntFunction<Fault> faults, AtomicInteger damage) {
            Thread.ofPlatform().daemon().start(() -> {
                try (InputStream in = Files.newInputStream(from);
                     OutputStream out = Files.newOutputStream(to, StandardOpenOption.WRITE)) {
                    ByteArrayOutputStream buf = new ByteArrayOutputStream();
                    int n = 0;
                    int c;
                    while ((c = in.read()) >= 0) {
                        buf.write(c);
                        if (c != '\n') {
                            continue;
                        }
                        byte[] frame = buf.toByteArray();
                        buf.reset();
                        Fault f = faults.apply(n++);
                        switch (f) {
                            case FLIP -> {
                                frame[Math.min(20, frame.length - 2)] ^= 0x04;
                                damage.incrementAndGet();
                                out.write(frame);
                            }
                            case DROP -> damage.incrementAndGet();
                            case DELAY -> {
                                damage.incrementAndGet();
                                byte[] late = frame;
                                Thread.ofPlatform().daemon().start(() -> {
                                    try {
                                        Thread.sleep(1_500);
                                        synchronized (out) {
                                            out.write(late);
                                            out.flush();
                                        }
                                    } catch (IOException | InterruptedException e) {
                                        // the line closed
                                    }
                                });
                            }
                            default -> out.write(frame);
                        }
                        synchronized (out) {
                            out.flush();
                        }
                    }
                } catch (IOException e) {
                    // the line closed
                }
            });
        }

        @Override
        public void close() {
            socats.forEach(Process::destroyForcibly);
        }
    }
}
