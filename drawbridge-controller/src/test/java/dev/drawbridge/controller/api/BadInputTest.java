package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every bad input gets its own 4xx problem that names what was wrong, and leaves the store as it was:
 * the same nodes, tickets, certificates and counters before and after.
 */
class BadInputTest {
    @TempDir static Path dir;
    static RunningController c;
    static final AtomicInteger SEQ = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        c = RunningController.start(dir.resolve("data"));
    }

    @AfterAll
    static void stop() {
        c.close();
    }

    /** Set-up runs before the snapshot; the returned request runs after it. */
    record Case(String name, int status, String type, Function<RunningController, Supplier<RunningController.Answer>> setup) {
        @Override
        public String toString() {
            return name;
        }
    }

    static String fresh(RunningController c) {
        String name = "bad-" + SEQ.incrementAndGet();
        c.createNode(name);
        return name;
    }

    static Stream<Arguments> cases() {
        return Stream.of(
            new Case("garbage PEM instead of a CSR", 400, "bad-csr", c -> {
                String n = fresh(c);
                String t = c.ticket(n, null);
                return () -> c.enroll(t, "-----BEGIN CERTIFICATE REQUEST-----\nnot base64 at all!\n-----END CERTIFICATE REQUEST-----\n");
            }),
            new Case("a CSR whose signature is broken", 400, "bad-csr", c -> {
                String n = fresh(c);
                String t = c.ticket(n, null);
                String csr = Csrs.breakSignature(Csrs.ec(dir, n));
                return () -> c.enroll(t, csr);
            }),
            new Case("an RSA-1024 key", 400, "bad-csr", c -> {
                String n = fresh(c);
                String t = c.ticket(n, null);
                String csr = Csrs.rsa(dir, n, 1024);
                return () -> c.enroll(t, csr);
            }),
            new Case("a CSR for another node's name", 403, "identity-mismatch", c -> {
                String n = fresh(c);
                String t = c.ticket(n, null);
                String csr = Csrs.ec(dir, "someone-else");
                return () -> c.enroll(t, csr);
            }),
            new Case("a CSR asking for an extra DNS name", 403, "identity-mismatch", c -> {
                String n = fresh(c);
                String t = c.ticket(n, null);
                String csr = Csrs.ec(dir, n, "DNS:" + n, "DNS:evil.example");
                return () -> c.enroll(t, csr);
            }),
            new Case("an expired ticket", 410, "ticket-expired", c -> {
                String n = fresh(c);
                String t = c.ticket(n, "1m");
                String csr = Csrs.ec(dir, n);
                c.clock.advance(Duration.ofMinutes(2));
                return () -> c.enroll(t, csr);
            }),
            new Case("a ticket that was already used", 409, "ticket-used", c -> {
                String n = fresh(c);
                String t = c.ticket(n, null);
                assertThat(c.enroll(t, Csrs.ec(dir, n)).status()).isEqualTo(201);
                String csr = Csrs.ec(dir, n);
                return () -> c.enroll(t, csr);
            }),
            new Case("a well-formed ticket nobody issued", 401, "ticket-invalid", c -> {
                String n = fresh(c);
                String csr = Csrs.ec(dir, n);
                return () -> c.enroll("dbt1.AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", csr);
            }),
            new Case("a ticket with the right id and a wrong secret", 401, "ticket-invalid", c -> {
                String n = fresh(c);
                String t = c.ticket(n, null);
                String forged = t.substring(0, t.lastIndexOf('.') + 1) + "C".repeat(43);
                String csr = Csrs.ec(dir, n);
                return () -> c.enroll(forged, csr);
            }),
            new Case("a malformed ticket", 400, "ticket-malformed", c -> {
                String csr = Csrs.ec(dir, "x");
                return () -> c.enroll("let-me-in", csr);
            }),
            new Case("an oversized body", 413, "body-too-large", c -> () -> c.call("POST", "/v1/enroll",
                    "application/json", ("{\"ticket\":\"" + "A".repeat(70_000) + "\"}").getBytes(StandardCharsets.US_ASCII))),
            new Case("the wrong content type", 415, "unsupported-media-type", c -> () -> c.call("POST", "/v1/enroll",
                    "text/plain", "ticket=x".getBytes(StandardCharsets.US_ASCII))),
            new Case("JSON that does not parse", 400, "invalid-request", c -> () -> c.call("POST", "/v1/enroll",
                    "application/json", "{\"ticket\": ".getBytes(StandardCharsets.US_ASCII))),
            new Case("an unknown field", 400, "invalid-request", c -> () -> c.json("POST", "/v1/nodes",
                    Map.of("name", "ok-name", "colour", "blue"))),
            new Case("no token", 401, "unauthorized", c -> () -> c.call("POST", "/v1/nodes", "application/json",
                    Json.bytes(Map.of("name", "sneaky")))),
            new Case("a wrong token", 401, "unauthorized", c -> () -> c.call("POST", "/v1/nodes", "application/json",
                    Json.bytes(Map.of("name", "sneaky")), "Authorization", "Bearer " + "x".repeat(43))),
            new Case("a node name that is not a host name", 400, "invalid-request", c -> () -> c.json("POST",
                    "/v1/nodes", Map.of("name", "Bad Name;drop"))),
            new Case("a MAC that is not a MAC", 400, "invalid-request", c -> () -> c.json("POST", "/v1/nodes",
                    Map.of("name", "mac-bad", "macs", List.of("52:54:00:zz:00:01")))),
            new Case("a duplicate node name", 409, "node-exists", c -> {
                String n = fresh(c);
                return () -> c.json("POST", "/v1/nodes", Map.of("name", n));
            }),
            new Case("a bad MAC in a PATCH", 400, "invalid-request", c -> {
                String n = fresh(c);
                return () -> c.json("PATCH", "/v1/nodes/" + n, Map.of("macs", List.of("nope")));
            }),
            new Case("a ticket for a node that does not exist", 404, "not-found", c -> () -> c.json("POST",
                    "/v1/nodes/no-such-node/tickets", Map.of())),
            new Case("a ticket lifetime that is not a duration", 400, "invalid-request", c -> {
                String n = fresh(c);
                return () -> c.json("POST", "/v1/nodes/" + n + "/tickets", Map.of("lifetime", "forever"));
            }),
            new Case("revoking a serial never issued", 404, "not-found", c -> () -> c.json("POST",
                    "/v1/certificates/abcdef0123/revoke", Map.of())),
            new Case("revoking with an unknown reason", 400, "invalid-request", c -> () -> c.json("POST",
                    "/v1/certificates/abcdef0123/revoke", Map.of("reason", "boredom"))),
            new Case("a node list with a made-up state", 400, "invalid-request", c -> () -> c.get("/v1/nodes?state=dancing")),
            new Case("a page size out of range", 400, "invalid-request", c -> () -> c.get("/v1/nodes?limit=100000")),
            new Case("an empty approver", 400, "invalid-request", c -> () -> c.json("PUT", "/v1/groups/gpu/golden",
                    Map.of("pcrs", Map.of("7", "ab".repeat(32)), "approved_by", "", "reason", "r"))),
            new Case("a blank approver", 400, "invalid-request", c -> () -> c.json("PUT", "/v1/groups/gpu/golden",
                    Map.of("pcrs", Map.of("7", "ab".repeat(32)), "approved_by", "   ", "reason", "r"))),
            new Case("a NUL as the approver", 400, "invalid-request", c -> () -> c.json("PUT", "/v1/groups/gpu/golden",
                    Map.of("pcrs", Map.of("7", "ab".repeat(32)), "approved_by", "\u0000", "reason", "r"))),
            new Case("a 60 KB approver", 400, "invalid-request", c -> () -> c.json("PUT", "/v1/groups/gpu/golden",
                    Map.of("pcrs", Map.of("7", "ab".repeat(32)), "approved_by", "a".repeat(60_000), "reason", "r"))),
            new Case("a golden baseline with no PCR", 400, "invalid-request", c -> () -> c.json("PUT",
                    "/v1/groups/gpu/golden", Map.of("pcrs", Map.of(), "approved_by", "alice", "reason", "r"))),
            new Case("a fence reason that is a NUL", 400, "invalid-request", c -> {
                String n = fresh(c);
                return () -> c.json("POST", "/v1/nodes/" + n + "/fence", Map.of("reason", "\u0000"));
            }),
            new Case("a readmission approved by a control character", 400, "invalid-request", c -> {
                String n = fresh(c);
                return () -> c.json("POST", "/v1/nodes/" + n + "/readmit", Map.of("approved_by", "\r\n", "reason", "x"));
            }),
            new Case("JSON nested 10,000 levels deep", 400, "invalid-request", c -> () -> c.call("POST", "/v1/nodes",
                    "application/json", ("[".repeat(10_000) + "]".repeat(10_000)).getBytes(StandardCharsets.US_ASCII),
                    "Authorization", "Bearer " + c.token)),
            new Case("a BMC password sent instead of a reference", 400, "invalid-request", c -> {
                String n = fresh(c);
                return () -> c.json("PATCH", "/v1/nodes/" + n, Map.of("bmc_password_ref", "hunter2"));
            }),
            new Case("a BMC password file path with ..", 400, "invalid-request", c -> {
                String n = fresh(c);
                return () -> c.json("PATCH", "/v1/nodes/" + n, Map.of("bmc_password_ref", "file:/etc/../etc/shadow"));
            }),
            new Case("a BMC user name with a quote", 400, "invalid-request", c -> {
                String n = fresh(c);
                return () -> c.json("PATCH", "/v1/nodes/" + n, Map.of("bmc_username", "a'b"));
            }),
            new Case("a group name with CR LF on GET", 400, "invalid-request", c -> () -> c.get("/v1/groups/a%0d%0ab/golden"))
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0} is refused and changes nothing")
    @MethodSource("cases")
    void badInputIsRefusedAndChangesNothing(Case bad) {
        Supplier<RunningController.Answer> request = bad.setup().apply(c);
        var before = StoreSnapshot.of(c.controller.database());

        RunningController.Answer answer = request.get();

        assertThat(answer.status()).as(answer.text()).isEqualTo(bad.status());
        assertThat(answer.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(answer.problemType()).isEqualTo(bad.type());
        assertThat(answer.json().path("detail").asText()).isNotBlank()
                .doesNotContain("StreamReadConstraints").doesNotContain("com.fasterxml").doesNotContain("Exception");
        assertThat(answer.json().path("status").asInt()).isEqualTo(bad.status());
        assertThat(StoreSnapshot.of(c.controller.database())).isEqualTo(before);
    }
}
