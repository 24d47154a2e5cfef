package dev.drawbridge.bench;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Command-line options of {@link IssuanceBench}, with their defaults. */
record Options(URI url, String mode, String path, int clients, double warmupSeconds, double durationSeconds,
               int csrs, Path csrCache, Path caFile, String token, long serverPid, int clockTicks, boolean verifyHost,
               String label) {
    static final String USAGE = """
            usage: IssuanceBench --url https://HOST:PORT [options]
              --mode signcsr|cfssl     signcsr: POST {"CsrString"} to /ibm/v1/Host/Actions/SignCSR (default)
                                       cfssl:   POST {"certificate_request"} to /api/v1/cfssl/sign
              --path PATH              override the request path
              --clients N              concurrent keep-alive connections, one per client (default 50)
              --warmup S               seconds of load before measuring (default 5)
              --duration S             seconds measured (default 20)
              --csrs N                 distinct P-256 CSRs made before the run (default 2000)
              --csr-cache FILE         reuse CSRs from FILE, or write them there
              --cacert FILE            PEM CA certificates to trust (default: the JDK's trust store)
              --no-verify-host         skip host name verification of the server certificate
              --token T | --token-file FILE   bearer token for signcsr
              --server-pid PID         report that process's CPU time over the window
              --clk-tck N              clock ticks per second in /proc (default 100)
              --label TEXT             free text copied into the JSON line
            Prints one JSON line on stdout and a human line on stderr. Exit 0 if every answer was a 2xx with a
            certificate, 3 if there were errors or non-2xx answers, 2 on bad usage.""";

    private static final Set<String> KNOWN = Set.of("--url", "--mode", "--path", "--clients",
            "--warmup", "--duration", "--csrs", "--csr-cache", "--cacert", "--no-verify-host", "--token",
            "--token-file", "--server-pid", "--clk-tck", "--label");

    static Options parse(String[] args) throws Exception {
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--no-verify-host")) {
                m.put(a, "true");
            } else if (a.startsWith("--") && i + 1 < args.length) {
                m.put(a, args[++i]);
            } else {
                throw new IllegalArgumentException("unexpected argument '" + a + "'");
            }
        }
        if (!m.containsKey("--url")) {
            throw new IllegalArgumentException("--url is required");
        }
        String mode = m.getOrDefault("--mode", "signcsr");
        String defaultPath = switch (mode) {
            case "signcsr" -> "/ibm/v1/Host/Actions/SignCSR";
            case "cfssl" -> "/api/v1/cfssl/sign";
            default -> throw new IllegalArgumentException("--mode must be signcsr or cfssl, not '" + mode + "'");
        };
        String token = m.getOrDefault("--token", "");
        if (m.containsKey("--token-file")) {
            token = Files.readString(Path.of(m.get("--token-file"))).trim();
        }
        for (String k : m.keySet()) {
            if (!KNOWN.contains(k)) {
                throw new IllegalArgumentException("unknown option " + k);
            }
        }
        return new Options(URI.create(m.get("--url")), mode, m.getOrDefault("--path", defaultPath),
                Integer.parseInt(m.getOrDefault("--clients", "50")),
                Double.parseDouble(m.getOrDefault("--warmup", "5")),
                Double.parseDouble(m.getOrDefault("--duration", "20")),
                Integer.parseInt(m.getOrDefault("--csrs", "2000")),
                m.containsKey("--csr-cache") ? Path.of(m.get("--csr-cache")) : null,
                m.containsKey("--cacert") ? Path.of(m.get("--cacert")) : null,
                token, Long.parseLong(m.getOrDefault("--server-pid", "0")),
                Integer.parseInt(m.getOrDefault("--clk-tck", "100")),
                !m.containsKey("--no-verify-host"), m.getOrDefault("--label", ""));
    }
}
