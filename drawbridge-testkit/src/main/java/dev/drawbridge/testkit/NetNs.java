package dev.drawbridge.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A test host in its own network namespace, joined to the root namespace by a veth pair with IPv6 ULA
 * addresses (DAD off, so addresses are usable at once). Needs root, iproute2 and, for firewall rules,
 * nftables; a missing tool fails the test naming the Debian package.
 */
public final class NetNs implements AutoCloseable {
    private final String name;
    private final String hostIf;
    private final List<Process> processes = new ArrayList<>();

    private NetNs(String name, String hostIf) {
        this.name = name;
        this.hostIf = hostIf;
    }

    /** Creates namespace {@code name} with {@code nsAddr} inside and {@code hostAddr} on the root side (both /64). */
    public static NetNs create(String name, String hostIf, String hostAddr, String nsAddr) {
        require("ip", "iproute2");
        NetNs ns = new NetNs(name, hostIf);
        run("ip", "netns", "add", name);
        run("ip", "link", "add", hostIf, "type", "veth", "peer", "name", "eth0", "netns", name);
        run("ip", "addr", "add", hostAddr + "/64", "dev", hostIf, "nodad");
        run("ip", "link", "set", hostIf, "up");
        ns.exec("ip", "link", "set", "lo", "up");
        ns.exec("ip", "addr", "add", nsAddr + "/64", "dev", "eth0", "nodad");
        ns.exec("ip", "link", "set", "eth0", "up");
        return ns;
    }

    /** Adds another address on the root side of the link, e.g. a second host reachable from the namespace. */
    public void addHostAddress(String addr) {
        run("ip", "addr", "add", addr + "/64", "dev", hostIf, "nodad");
    }

    /** Runs a command inside the namespace and returns its stdout; a non-zero exit fails the test. */
    public String exec(String... command) {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
        all.addAll(List.of(command));
        return run(all.toArray(String[]::new));
    }

    /** Runs a command inside the namespace and returns its exit code, whatever it is. */
    public int execStatus(String... command) {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
        all.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(all).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Starts a long-running process inside the namespace; it is ended when this namespace closes. */
    public Process start(List<String> command, Path log) {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
        all.addAll(command);
        try {
            Process p = new ProcessBuilder(all).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            processes.add(p);
            return p;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        // Deleting a namespace does not end the processes in it: end them first.
        for (Process p : processes) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        quiet("ip", "link", "del", hostIf);
        quiet("ip", "netns", "delete", name);
    }

    public static void require(String tool, String debianPackage) {
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            if (new File(dir, tool).canExecute()) {
                return;
            }
        }
        fail("'" + tool + "' is missing: install the Debian package '" + debianPackage + "' (this test also needs root)");
    }

    static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                fail(String.join(" ", command) + " failed (needs root): " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void quiet(String... command) {
        try {
            new ProcessBuilder(command).redirectErrorStream(true).start().waitFor(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            // best effort clean-up
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
