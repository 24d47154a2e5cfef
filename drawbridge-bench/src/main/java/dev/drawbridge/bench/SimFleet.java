package dev.drawbridge.bench;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Simulated agents for the scale benchmarks: {@code drawbridge simulate} processes that create their nodes through
 * the controller whose data directory they are given, drive each to manageable, and then keep answering polls. One
 * process per {@code 6000} nodes by default: each agent holds a listening socket and a kept-alive connection, and a
 * process may open 20,000 files on the machines this runs on.
 */
final class SimFleet implements AutoCloseable {
    private final List<Process> processes;
    private final List<Path> dirs;

    private SimFleet(List<Process> processes, List<Path> dirs) {
        this.processes = processes;
        this.dirs = dirs;
    }

    /** Starts the simulators for {@code nodes} nodes against the controller of {@code ctlDir}. */
    static SimFleet start(String java, Path jar, Path ctlDir, int nodes, Map<String, String> o, Path work)
            throws Exception {
        int procs = Integer.parseInt(o.getOrDefault("sim-procs", String.valueOf((nodes + 5999) / 6000)));
        List<Process> sims = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        for (int i = 0; i < procs; i++) {
            int share = nodes / procs + (i < nodes % procs ? 1 : 0);
            Path simDir = work.resolve(procs == 1 ? "sim" : "sim-" + (i + 1));
            dirs.add(simDir);
            List<String> simCmd = new ArrayList<>(List.of(java));
            simCmd.addAll(ScaleOptions.split(o.getOrDefault("sim-opts", "")));
            simCmd.addAll(List.of("-jar", jar.toString(), "simulate", "--data-dir", ctlDir.toString(),
                    "--nodes", String.valueOf(share), "--sim-dir", simDir.toString(), "--drive", "manageable",
                    "--parallel", o.getOrDefault("parallel", "16"),
                    "--prefix", procs == 1 ? "sim-" : "sim" + (i + 1) + "-",
                    "--first-address", procs == 1 ? o.getOrDefault("first-address", "127.1.0.1")
                            : "127." + (i + 1) + ".0.1"));
            sims.add(new ProcessBuilder(simCmd).redirectErrorStream(true)
                    .redirectOutput(work.resolve(procs == 1 ? "sim.log" : "sim-" + (i + 1) + ".log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start());
        }
        return new SimFleet(sims, dirs);
    }

    /** Waits until every simulator has its whole share manageable; the seconds it took. */
    double awaitReady(Duration limit, Path work) throws Exception {
        long t0 = System.nanoTime();
        Instant end = Instant.now().plus(limit);
        while (!dirs.stream().allMatch(d -> Files.exists(d.resolve("ready")))) {
            if (processes.stream().anyMatch(p -> !p.isAlive())) {
                throw new IllegalStateException("a simulator stopped; see the sim*.log files in " + work);
            }
            if (Instant.now().isAfter(end)) {
                throw new IllegalStateException("timed out waiting for the fleet to be manageable");
            }
            Thread.sleep(500);
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    List<Process> processes() {
        return processes;
    }

    List<Path> dirs() {
        return dirs;
    }

    @Override
    public void close() throws InterruptedException {
        for (Process sim : processes) {
            sim.destroy();
            sim.waitFor();
        }
    }
}
