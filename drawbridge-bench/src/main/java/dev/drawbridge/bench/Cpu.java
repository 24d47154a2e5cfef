package dev.drawbridge.bench;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of this generator, of the server process (from {@code /proc/PID/stat}, proc(5)) and of the whole
 * machine (from {@code /proc/stat}), so a reader can see how the shared cores were split during a run.
 */
record Cpu(long nanoTime, long generatorNs, long serverTicks, long machineTicks, long machineIdleTicks) {
    static Cpu sample(long serverPid) {
        long gen = ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
        long server = serverPid > 0 ? processTicks(serverPid) : -1;
        long[] machine = readMachine();
        return new Cpu(System.nanoTime(), gen, server, machine[0], machine[1]);
    }

    /** utime + stime, fields 14 and 15 of /proc/PID/stat, counted after the parenthesised command name. */
    private static long processTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The aggregate "cpu" line: total of user..steal, and idle + iowait. */
    private static long[] readMachine() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = first.trim().split("\\s+");
            long total = 0;
            for (int i = 1; i <= 8 && i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            return new long[] {total, Long.parseLong(f[4]) + Long.parseLong(f[5])};
        } catch (IOException | RuntimeException e) {
            return new long[] {-1, -1};
        }
    }
}
