package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.controller.config.ControllerConfig;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.testkit.OpenSsl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The management-console certificate exchange: success, each error mapping, many in flight, and the switch. */
class ConsoleSignCsrTest {
    @TempDir Path dir;

    private RunningController start(UnaryOperator<ControllerConfig> tweak) throws Exception {
        return RunningController.start(dir.resolve("data"), tweak);
    }

    private RunningController.Answer sign(RunningController c, String csr, String... auth) {
        return c.call("POST", "/ibm/v1/Host/Actions/SignCSR", "application/json", Json.bytes(Map.of("CsrString", csr)),
                auth.length == 0 ? new String[] {"X-Auth-Token", c.token} : auth);
    }

    private static UnaryOperator<ControllerConfig> upstreamCommand(String script, Duration deadline) {
        return cfg -> cfg.withConsole(cfg.managementConsole().withUpstream("command", script, "", deadline));
    }

    @Test
    @DisplayName("a console CSR is signed by the built-in CA, openssl verifies it, and the root endpoint gives ca.pem")
    void signsWithBuiltinCa() throws Exception {
        try (var c = start(cfg -> cfg)) {
            var root = c.call("GET", "/ibm/v1/Host/Certificate/root", null, null, "Authorization", "Bearer " + c.token);
            assertThat(root.status()).isEqualTo(200);
            assertThat(root.json().path("Certificate").asText()).isEqualTo(Files.readString(c.dataDir.resolve("ca.pem")));
            var before = StoreSnapshot.of(c.controller.database());

            var a = sign(c, Csrs.ec(dir, "console-host", "DNS:console-host"));

            assertThat(a.status()).as(a.text()).isEqualTo(200);
            Path cert = Csrs.write(dir, "console.pem", a.json().path("Certificate").asText());
            var verify = OpenSsl.run(dir, "verify", "-CAfile", c.dataDir.resolve("ca.pem").toString(), cert.toString());
            assertThat(verify.exitCode()).as(verify.stderr()).isZero();
            assertThat(StoreSnapshot.of(c.controller.database())).as("passthrough keeps no copy").isEqualTo(before);
        }
    }

    @Test
    @DisplayName("a console CSR with an IP SAN, an e-mail SAN, 33 SANs or a node's name is refused with 400 and signs nothing")
    void consoleProfileTakesOnlyBoundedDnsNamesThatAreNoNodes() throws Exception {
        try (var c = start(cfg -> cfg)) {
            var node = c.call("POST", "/v1/nodes", "application/json", Json.bytes(Map.of("name", "node-07",
                    "macs", List.of("52:54:00:12:34:07"))), "Authorization", "Bearer " + c.token);
            assertThat(node.status()).as(node.text()).isEqualTo(201);
            var before = StoreSnapshot.of(c.controller.database());
            List<String> many = new ArrayList<>();
            for (int i = 0; i < 33; i++) {
                many.add("DNS:h" + i + ".example");
            }
            Map<String, String> refusals = Map.of(
                    "iPAddress", Csrs.ec(dir, "console-host", "DNS:console-host", "IP:10.0.0.1"),
                    "rfc822Name", Csrs.ec(dir, "console-host", "email:ops@example.com"),
                    "at most 32", Csrs.ec(dir, "console-host", many.toArray(String[]::new)),
                    "node-07", Csrs.ec(dir, "node-07"),
                    "'NODE-07' is the name of a node", Csrs.ec(dir, "console-host", "DNS:NODE-07"));
            for (var e : refusals.entrySet()) {
                var a = sign(c, e.getValue());
                assertThat(a.status()).as(e.getKey() + ": " + a.text()).isEqualTo(400);
                assertThat(a.json().path("title").asText()).isEqualTo("Bad CSR");
                assertThat(a.text()).contains(e.getKey());
            }
            var ok = sign(c, Csrs.ec(dir, "console-host", many.subList(0, 32).toArray(String[]::new)));
            assertThat(ok.status()).as("32 DNS names are allowed: " + ok.text()).isEqualTo(200);
            var cert = Pem.certificate(ok.json().path("Certificate").asText());
            assertThat(Profile.of(cert)).contains(Profile.CONSOLE_CLIENT);
            assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
            assertThat(StoreSnapshot.of(c.controller.database())).isEqualTo(before);
        }
    }

    @Test
    @DisplayName("bad bodies get 400, a CSR the CA refuses gets 400 Bad CSR, and no token gets 401")
    void errorMapping() throws Exception {
        try (var c = start(cfg -> cfg)) {
            var malformed = c.call("POST", "/ibm/v1/Host/Actions/SignCSR", "application/json", "{".getBytes(),
                    "X-Auth-Token", c.token);
            assertThat(malformed.status()).isEqualTo(400);
            assertThat(sign(c, "hello").status()).isEqualTo(400);
            var weak = sign(c, Csrs.rsa(dir, "console-weak", 1024));
            assertThat(weak.status()).isEqualTo(400);
            assertThat(weak.json().path("title").asText()).isEqualTo("Bad CSR");
            var noToken = c.call("POST", "/ibm/v1/Host/Actions/SignCSR", "application/json",
                    Json.bytes(Map.of("CsrString", "x")));
            assertThat(noToken.status()).isEqualTo(401);
            var wrong = sign(c, Csrs.ec(dir, "console-host"), "X-Auth-Token", "wrong");
            assertThat(wrong.status()).isEqualTo(401);
        }
    }

    @Test
    @DisplayName("an upstream that misses the deadline gives 503 with Retry-After, and a failing one gives 500")
    void upstreamDeadlineAndFailure() throws Exception {
        try (var c = start(upstreamCommand("sleep 5", Duration.ofMillis(500)))) {
            var slow = sign(c, Csrs.ec(dir, "console-host"));
            assertThat(slow.status()).as(slow.text()).isEqualTo(503);
            assertThat(slow.header("Retry-After")).isEqualTo("60");
        }
        try (var c = start(upstreamCommand("cat >/dev/null; exit 1", Duration.ofSeconds(10)))) {
            assertThat(sign(c, Csrs.ec(dir, "console-host")).status()).isEqualTo(500);
        }
        try (var c = start(upstreamCommand("cat >/dev/null; exit 2", Duration.ofSeconds(10)))) {
            var refused = sign(c, Csrs.ec(dir, "console-host"));
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.json().path("title").asText()).isEqualTo("Bad CSR");
        }
    }

    @Test
    @DisplayName("an external CA reached by command signs through openssl")
    void commandUpstreamSigns() throws Exception {
        Path ca = dir.resolve("ext");
        Files.createDirectories(ca);
        OpenSsl.runOk(ca, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=external", "-days", "1");
        Path script = Files.writeString(dir.resolve("sign.sh"), "#!/bin/sh\nset -e\nd=$(mktemp -d)\ncat > $d/csr.pem\n"
                + OpenSsl.binary() + " x509 -req -in $d/csr.pem -CA " + ca.resolve("ca.pem") + " -CAkey "
                + ca.resolve("ca.key") + " -days 1 2>/dev/null\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        try (var c = start(upstreamCommand(script.toString(), Duration.ofSeconds(10)))) {
            var a = sign(c, Csrs.ec(dir, "console-host"));
            assertThat(a.status()).as(a.text()).isEqualTo(200);
            Path cert = Csrs.write(dir, "ext-cert.pem", a.json().path("Certificate").asText());
            assertThat(OpenSsl.run(dir, "verify", "-CAfile", ca.resolve("ca.pem").toString(), cert.toString())
                    .exitCode()).isZero();
        }
    }

    @Test
    @DisplayName("64 signing requests in flight at once all succeed and none stays tracked afterwards")
    void manyInFlight() throws Exception {
        try (var c = start(cfg -> cfg); var pool = Executors.newFixedThreadPool(64)) {
            List<String> csrs = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                csrs.add(Csrs.ec(dir, "console-" + i));
            }
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                String csr = csrs.get(i % csrs.size());
                answers.add(pool.submit((Callable<Integer>) () -> sign(c, csr).status()));
            }
            for (Future<Integer> f : answers) {
                assertThat(f.get()).isEqualTo(200);
            }
            String metrics = c.get("/metrics").text();
            assertThat(metrics).contains("drawbridge_console_requests_in_flight 0.0");
        }
    }

    @Test
    @DisplayName("with management-console.enabled false both console endpoints answer 404")
    void disabledAnswers404() throws Exception {
        try (var c = start(cfg -> cfg.withConsole(cfg.managementConsole().withEnabled(false)))) {
            assertThat(sign(c, Csrs.ec(dir, "console-host")).status()).isEqualTo(404);
            assertThat(c.call("GET", "/ibm/v1/Host/Certificate/root", null, null, "X-Auth-Token", c.token).status())
                    .isEqualTo(404);
        }
    }
}
