package dev.drawbridge.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A simulated BMC for power tests: OpenIPMI's {@code ipmi_sim} on a loopback UDP port, speaking IPMI 2.0
 * (lanplus) with cipher suite 3, because ipmi_sim has no suite 17. Chassis power is kept by a small shell
 * script in a file, so a test can read what the BMC did independently of the IPMI client under test.
 * Debian's openipmi ships no example configs; the ones written here are the smallest that work.
 */
public final class IpmiSim implements AutoCloseable {
    /** The chassis power a test reads back from the simulator's state file. */
    public enum Power { ON, OFF }

    public static final String HOST = "127.0.0.1";
    public static final String USER = "admin";
    public static final int CIPHER_SUITE = 3;

    private final Path dir;
    private final String host;
    private final int port;
    private final String password;
    private final Process process;

    private IpmiSim(Path dir, String host, int port, String password, Process process) {
        this.dir = dir;
        this.host = host;
        this.port = port;
        this.password = password;
        this.process = process;
    }

    /** Starts a simulator whose chassis is powered on, in a fresh temporary directory, on the loopback address. */
    public static IpmiSim start() {
        return start(HOST);
    }

    /**
     * Starts a simulator on {@code host} (an address of this machine, IPv4 or IPv6: a bridge's address serves BMC
     * clients in network namespaces on it).
     */
    public static IpmiSim start(String host) {
        Path binary = OpenSsl.onPath("ipmi_sim").orElse(null);
        if (binary == null) {
            fail("ipmi_sim is not installed: install the Debian package 'openipmi' (apt-get install openipmi)");
        }
        try {
            Path dir = Files.createTempDirectory("ipmisim");
            // IPMI passwords are at most 20 bytes; a fresh one per run keeps tests honest about auth.
            String password = "pw-" + HexFormat.of().formatHex(randomBytes(6));
            writeFiles(dir, password);
            setPower(dir, Power.ON);
            // Picking a free port and binding it are not atomic, so another process may win the race: retry.
            IllegalStateException last = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                int port = freeUdpPort();
                Files.writeString(dir.resolve("lan.conf"), lanConf(dir, host, port, password), StandardCharsets.UTF_8);
                ProcessBuilder builder = new ProcessBuilder(binary.toString(), "-n", "-c", "lan.conf", "-f", "sim.emu",
                        "-s", dir.resolve("state").toString())
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("ipmi_sim.log").toFile());
                Process process = builder.start();
                try {
                    awaitPong(process, host, port);
                    return new IpmiSim(dir, host, port, password, process);
                } catch (IllegalStateException e) {
                    stop(process);
                    last = e;
                }
            }
            throw last;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start ipmi_sim: " + e.getMessage(), e);
        }
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String user() {
        return USER;
    }

    public String password() {
        return password;
    }

    public int cipherSuite() {
        return CIPHER_SUITE;
    }

    /** The chassis power as the simulator's control script last recorded it. */
    public Power powerState() {
        try {
            String text = Files.readString(dir.resolve("power"), StandardCharsets.US_ASCII).strip();
            return text.equals("0") ? Power.OFF : Power.ON;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the simulated power state: " + e.getMessage(), e);
        }
    }

    /** Every power change asked of the BMC, in order (a reboot is OFF then ON); empty when none was. */
    public List<Power> powerChanges() {
        Path log = dir.resolve("power.log");
        try {
            if (!Files.exists(log)) {
                return List.of();
            }
            return Files.readAllLines(log, StandardCharsets.US_ASCII).stream().map(String::strip)
                    .filter(l -> !l.isEmpty()).map(l -> l.equals("0") ? Power.OFF : Power.ON).toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the simulated power log: " + e.getMessage(), e);
        }
    }

    /** Sets the chassis power behind the BMC's back, as a person at the machine would. */
    public void powerState(Power power) {
        try {
            setPower(dir, power);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the simulated power state: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        stop(process);
        deleteTree(dir);
    }

    private static void deleteTree(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // A leftover temporary directory is harmless.
        }
    }

    private static void writeFiles(Path dir, String password) throws IOException {
        Files.createDirectories(dir.resolve("state"));
        // One BMC at IPMB 0x20 with no sensors: enough for chassis commands.
        Files.writeString(dir.resolve("sim.emu"), """
                mc_setbmc 0x20
                mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02
                mc_enable 0x20
                """, StandardCharsets.UTF_8);
        // ipmi_sim calls this as `SCRIPT 0x20 get power` and `SCRIPT 0x20 set power 0|1` (also reset, shutdown).
        Path script = dir.resolve("chassis.sh");
        Files.writeString(script, """
                #!/bin/sh
                state="%s"
                shift
                op=$1
                shift
                case "$op" in
                get)
                  for item in "$@"; do
                    [ "$item" = power ] && echo "power:$(cat "$state")"
                  done ;;
                set)
                  while [ $# -ge 2 ]; do
                    case "$1" in
                      power) echo "$2" > "$state"; echo "$2" >> "$state.log" ;;
                      shutdown) [ "$2" = 1 ] && echo 0 > "$state" && echo 0 >> "$state.log" ;;
                    esac
                    shift 2
                  done ;;
                esac
                exit 0
                """.formatted(dir.resolve("power")), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    }

    private static String lanConf(Path dir, String host, int port, String password) {
        // Auth types and a GUID make the channel offer IPMI 2.0 sessions; cipher suites 0-3 are built in.
        return """
                name "drawbridge-sim"
                set_working_mc 0x20
                  startlan 1
                    addr %s %d
                    priv_limit admin
                    allowed_auths_callback none md2 md5 straight
                    allowed_auths_user none md2 md5 straight
                    allowed_auths_operator none md2 md5 straight
                    allowed_auths_admin none md2 md5 straight
                    guid a123456789abcdefa123456789abcdef
                  endlan
                  chassis_control "%s 0x20"
                  user 2 true "%s" "%s" admin 10 none md2 md5 straight
                """.formatted(host, port, dir.resolve("chassis.sh"), USER, password);
    }

    private static void setPower(Path dir, Power power) throws IOException {
        Files.writeString(dir.resolve("power"), power == Power.ON ? "1\n" : "0\n", StandardCharsets.US_ASCII);
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return socket.getLocalPort();
        }
    }

    /** Waits for an RMCP/ASF Presence Pong (DSP0136 §3.2.4), which needs no session or password. */
    private static void awaitPong(Process process, String host, int port) throws IOException {
        byte[] ping = {0x06, 0x00, (byte) 0xff, 0x06, 0x00, 0x00, 0x11, (byte) 0xbe, (byte) 0x80, 0x01, 0x00, 0x00};
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(100);
            InetSocketAddress bmc = new InetSocketAddress(host, port);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("ipmi_sim exited with " + process.exitValue() + " on port " + port);
                }
                socket.send(new DatagramPacket(ping, ping.length, bmc));
                DatagramPacket answer = new DatagramPacket(new byte[64], 64);
                try {
                    socket.receive(answer);
                    if (answer.getLength() > 8 && answer.getData()[8] == 0x40) {
                        return;
                    }
                } catch (SocketTimeoutException | PortUnreachableException notYet) {
                    // not listening yet
                }
            }
        }
        throw new IllegalStateException("ipmi_sim did not answer an RMCP ping on port " + port + " within 10 s");
    }

    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }

    @Override
    public String toString() {
        return "IpmiSim[" + host + ":" + port + "]";
    }
}
