package dev.drawbridge.testkit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A test LAN: a bridge in the root namespace (multicast snooping off, so mDNS reaches every port; an IPv6 ULA
 * address for the test itself, DAD off) and network namespaces joined to it by veth pairs, each with its own MAC
 * and SLAAC on, so a router advertisement on the bridge gives them addresses. Needs root and iproute2; a missing
 * tool fails the test naming the Debian package. Closing ends the processes started in the namespaces first.
 */
public final class NetBridge implements AutoCloseable {
    private final String bridge;
    private final List<Member> members = new ArrayList<>();

    /** A namespace on the bridge. */
    public static final class Member {
        private final String name;
        private final String hostIf;
        private final List<Process> processes = new ArrayList<>();

        private Member(String name, String hostIf) {
            this.name = name;
            this.hostIf = hostIf;
        }

        public String name() {
            return name;
        }

        /** Runs a command inside the namespace and returns its stdout; a non-zero exit fails the test. */
        public String exec(String... command) {
            List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
            all.addAll(List.of(command));
            return NetNs.run(all.toArray(String[]::new));
        }

        /** Starts a long-running process inside the namespace, its output appended to {@code log}. */
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

        /** Ends a process started here (kill -9) and waits for it. */
        public void stop(Process p) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            processes.remove(p);
        }

        /**
         * Kills (SIGKILL) every process in the namespace, started here or forked away from what was: a power cut. The
         * namespace and its link stay, so the "machine" can be started again.
         */
        public void powerCut() {
            try {
                Process pids = new ProcessBuilder("ip", "netns", "pids", name).redirectErrorStream(true).start();
                String out = new String(pids.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                pids.waitFor(10, TimeUnit.SECONDS);
                for (String pid : out.split("\\s+")) {
                    if (pid.matches("\\d+")) {
                        ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
            } catch (IOException e) {
                // best effort
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (Process p : List.copyOf(processes)) {
                stop(p);
            }
        }

        private void close() {
            // Daemons that forked away from what we started (dbus-daemon --fork, avahi-daemon) die with the namespace.
            powerCut();
            quiet("ip", "link", "del", hostIf);
            quiet("ip", "netns", "delete", name);
        }
    }

    private NetBridge(String bridge) {
        this.bridge = bridge;
    }

    /** Creates bridge {@code name} (at most 15 characters) with {@code hostAddr}/64 on it. */
    public static NetBridge create(String name, String hostAddr) {
        NetNs.require("ip", "iproute2");
        NetNs.run("ip", "link", "add", name, "type", "bridge", "mcast_snooping", "0");
        NetBridge b = new NetBridge(name);
        try {
            NetNs.run("sysctl", "-q", "-w", "net.ipv6.conf." + name + ".accept_dad=0");
            NetNs.run("ip", "link", "set", name, "up");
            NetNs.run("ip", "addr", "add", hostAddr + "/64", "dev", name, "nodad");
        } catch (AssertionError | RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    public String name() {
        return bridge;
    }

    /**
     * Adds namespace {@code ns} on the bridge: its {@code eth0} has {@code mac}, accepts router advertisements and
     * makes SLAAC addresses, with duplicate address detection off; {@code staticAddr} (a /64) is added when not
     * empty.
     */
    public Member join(String ns, String mac, String staticAddr) {
        String hostIf = "v" + ns;
        if (hostIf.length() > 15) {
            throw new IllegalArgumentException("namespace name too long for its veth: " + ns);
        }
        NetNs.run("ip", "netns", "add", ns);
        Member m = new Member(ns, hostIf);
        members.add(m);
        NetNs.run("ip", "link", "add", hostIf, "type", "veth", "peer", "name", "eth0", "netns", ns);
        NetNs.run("ip", "link", "set", hostIf, "master", bridge);
        NetNs.run("ip", "link", "set", hostIf, "up");
        m.exec("ip", "link", "set", "lo", "up");
        m.exec("ip", "link", "set", "eth0", "address", mac);
        for (String key : List.of("accept_dad=0", "accept_ra=2", "autoconf=1")) {
            m.exec("sysctl", "-q", "-w", "net.ipv6.conf.eth0." + key);
        }
        m.exec("sysctl", "-q", "-w", "net.ipv6.conf.default.accept_dad=0");
        m.exec("ip", "link", "set", "eth0", "up");
        if (!staticAddr.isEmpty()) {
            m.exec("ip", "addr", "add", staticAddr + "/64", "dev", "eth0", "nodad");
        }
        return m;
    }

    @Override
    public void close() {
        for (Member m : members) {
            m.close();
        }
        quiet("ip", "link", "del", bridge);
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
