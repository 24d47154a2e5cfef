package dev.drawbridge.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The outcome of one run: throughput, exact latency percentiles over every answer, and the CPU split. */
record Report(Options options, long ok, long non2xx, long errors, long outsideProblems, Map<Integer, Integer> statuses,
              double seconds, long[] sortedNanos, double generatorCores, double serverCores, double machineBusy,
              int connects, int established, int establishedAtEnd, String protocol, String firstProblem,
              double csrSeconds) {
    static Report of(Options o, List<Client> clients, Cpu cpu0, Cpu cpu1, int established, int establishedAtEnd,
                     double csrSeconds) {
        long ok = 0;
        long non2xx = 0;
        long errors = 0;
        long outside = 0;
        int connects = 0;
        Map<Integer, Integer> statuses = new TreeMap<>();
        String problem = "";
        for (Client c : clients) {
            ok += c.ok;
            non2xx += c.non2xx;
            errors += c.errors;
            outside += c.outsideProblems;
            connects += c.connects;
            c.statuses.forEach((k, v) -> statuses.merge(k, v, Integer::sum));
            if (problem.isEmpty()) {
                problem = c.firstProblem;
            }
        }
        long[] all = new long[(int) ok];
        int at = 0;
        for (Client c : clients) {
            System.arraycopy(c.latencies, 0, all, at, c.ok);
            at += c.ok;
        }
        Arrays.sort(all);
        double seconds = (cpu1.nanoTime() - cpu0.nanoTime()) / 1e9;
        double gen = (cpu1.generatorNs() - cpu0.generatorNs()) / 1e9 / seconds;
        double server = cpu0.serverTicks() < 0 || cpu1.serverTicks() < 0 ? -1
                : (cpu1.serverTicks() - cpu0.serverTicks()) / (double) o.clockTicks() / seconds;
        long total = cpu1.machineTicks() - cpu0.machineTicks();
        double busy = total <= 0 ? -1 : 1.0 - (cpu1.machineIdleTicks() - cpu0.machineIdleTicks()) / (double) total;
        String protocol = clients.stream().map(c -> c.protocol).filter(p -> !p.isEmpty()).findFirst().orElse("");
        return new Report(o, ok, non2xx, errors, outside, statuses, o.durationSeconds(), all, gen, server, busy,
                connects, established, establishedAtEnd, protocol, problem, csrSeconds);
    }

    boolean failed() {
        return non2xx > 0 || errors > 0 || outsideProblems > 0 || ok == 0;
    }

    double throughput() {
        return ok / seconds;
    }

    /** Nearest-rank percentile in milliseconds. */
    double percentileMs(double q) {
        if (sortedNanos.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(q * sortedNanos.length);
        return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, rank - 1))] / 1e6;
    }

    double meanMs() {
        return sortedNanos.length == 0 ? -1 : Arrays.stream(sortedNanos).average().orElse(0) / 1e6;
    }

    /** Cores used by everything else on the machine (other builds, the kernel's own threads) in the window. */
    double otherCores() {
        if (machineBusy < 0 || serverCores < 0) {
            return -1;
        }
        return Math.max(0, machineBusy * Runtime.getRuntime().availableProcessors() - serverCores - generatorCores);
    }

    String json() {
        String codes = statuses.entrySet().stream().map(e -> "\"" + e.getKey() + "\":" + e.getValue())
                .collect(Collectors.joining(",", "{", "}"));
        return String.format(Locale.ROOT, "{\"label\":%s,\"mode\":%s,\"url\":%s,\"status\":%s,\"clients\":%d,"
                        + "\"warmup_s\":%.1f,\"duration_s\":%.1f,\"ok\":%d,\"non_2xx\":%d,\"errors\":%d,"
                        + "\"problems_outside_window\":%d,\"status_counts\":%s,\"certs_per_s\":%.1f,"
                        + "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"mean_ms\":%.3f,"
                        + "\"connections_opened\":%d,\"established_at_start\":%d,\"established_at_end\":%d,"
                        + "\"tls\":%s,\"generator_cpu_cores\":%.3f,\"server_cpu_cores\":%.3f,\"other_cpu_cores\":%.3f,"
                        + "\"machine_busy\":%.3f,"
                        + "\"cpu_count\":%d,\"csr_prep_s\":%.2f,\"first_problem\":%s}",
                q(options.label()), q(options.mode()), q(options.url() + options.path()), q(failed() ? "error" : "ok"),
                options.clients(), options.warmupSeconds(), seconds, ok, non2xx, errors, outsideProblems, codes,
                throughput(), percentileMs(0.50), percentileMs(0.90), percentileMs(0.99), percentileMs(1.0), meanMs(),
                connects, established, establishedAtEnd, q(protocol), generatorCores, serverCores, otherCores(), machineBusy,
                Runtime.getRuntime().availableProcessors(), csrSeconds, q(firstProblem));
    }

    String human() {
        return String.format(Locale.ROOT, "%s%s %s, %d clients on %d connections: %,.0f certs/s; latency p50 %.2f ms, "
                        + "p90 %.2f ms, p99 %.2f ms, max %.2f ms; %d ok, %d non-2xx, %d errors (+%d outside the window); "
                        + "CPU cores used: server %.2f, generator %.2f, other processes %.2f, machine busy %.0f%% of %d%s",
                failed() ? "ERROR " : "", options.label().isEmpty() ? options.mode() : options.label(), protocol,
                options.clients(), establishedAtEnd, throughput(), percentileMs(0.50), percentileMs(0.90),
                percentileMs(0.99), percentileMs(1.0), ok, non2xx, errors, outsideProblems, serverCores,
                generatorCores, otherCores(), machineBusy * 100, Runtime.getRuntime().availableProcessors(),
                firstProblem.isEmpty() ? "" : "; first problem: " + firstProblem);
    }

    private static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
