package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.StoreConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI against a controller running as its own process: every verb with {@code --json}, and a clean
 * stop on SIGTERM with JSON logs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliAgainstRunningControllerTest {
    @TempDir static Path dir;
    static final String CA_PASSPHRASE = "ca-passphrase-" + UUID.randomUUID();
    static final String BMC_PASSWORD = "bmc-password-" + UUID.randomUUID();
    static final List<String> SECRETS = new CopyOnWriteArrayList<>();
    static Process controller;
    static Path data;
    static Path log;

    @BeforeAll
    static void start() throws Exception {
        data = dir.resolve("data");
        log = dir.resolve("controller.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "dev.drawbridge.cli.Main", "controller", "--data-dir", data.toString(), "--listen", "127.0.0.1:0")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("DRAWBRIDGE_LOG_FORMAT", "json");
        // Debug logging and every secret the controller holds, so the log test below can look for each.
        pb.environment().put("DRAWBRIDGE_LOG_LEVEL", "debug");
        pb.environment().put("DRAWBRIDGE_CA_PASSPHRASE", CA_PASSPHRASE);
        Files.writeString(dir.resolve("bmc.pass"), BMC_PASSWORD);
        pb.environment().put("DRAWBRIDGE_FENCING_BMC_PASSWORD_FILE", dir.resolve("bmc.pass").toString());
        controller = pb.start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (!Files.exists(data.resolve("controller.url"))) {
            if (!controller.isAlive() || Instant.now().isAfter(deadline)) {
                throw new AssertionError("controller did not start: " + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stop() {
        controller.destroyForcibly();
    }

    record Run(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return ApiClient.JSON.readTree(out);
        }
    }


    static synchronized Run raw(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        var o = new ByteArrayOutputStream();
        var e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    static String[] split(String verb, String... rest) {
        String[] parts = verb.split(" ");
        String[] all = new String[parts.length + rest.length];
        System.arraycopy(parts, 0, all, 0, parts.length);
        System.arraycopy(rest, 0, all, parts.length, rest.length);
        return all;
    }

    static Run verb(String verb, String... rest) {
        String[] v = split(verb, rest);
        List<String> all = new ArrayList<>(List.of(v));
        int at = verb.split(" ").length;
        all.add(at, "--data-dir");
        all.add(at + 1, data.toString());
        return raw(all.toArray(String[]::new));
    }

    @Test
    @Order(1)
    @DisplayName("node create, list, show, enroll and delete all answer JSON with --json")
    void nodeVerbsSpeakJson() throws Exception {
        Run created = verb("node create", "cli-node", "--mac", "52:54:00:aa:bb:cc", "--label", "rack=r2", "--json");
        assertThat(created.exit()).as(created.err()).isZero();
        assertThat(created.json().path("name").asText()).isEqualTo("cli-node");
        Run list = verb("node list", "--json");
        assertThat(list.json().findValuesAsText("name")).contains("cli-node");
        Run show = verb("node show", "cli-node", "--json");
        assertThat(show.json().path("labels").path("rack").asText()).isEqualTo("r2");
        Run ticket = verb("node enroll", "cli-node", "--lifetime", "10m", "--json");
        assertThat(ticket.json().path("ticket").asText()).startsWith("dbt1.");
        String t = ticket.json().path("ticket").asText();
        SECRETS.add(t.substring(t.lastIndexOf('.') + 1)); // the secret part of the ticket
        Run root = verb("ca root", "--json");
        assertThat(root.json().path("certificate").asText()).isEqualTo(Files.readString(data.resolve("ca.pem")));
        Run events = verb("events", "--json");
        assertThat(events.json().path("items").size()).isGreaterThanOrEqualTo(2);
        Run deleted = verb("node delete", "cli-node", "--json");
        assertThat(deleted.json().path("deleted").asText()).isEqualTo("cli-node");
    }

    @Test
    @Order(2)
    @DisplayName("ca revoke --node revokes what a node holds, and a missing node is a clear error with exit 4")
    void revokeVerb() throws Exception {
        assertThat(verb("node create", "rev-node").exit()).isZero();
        Run revoked = verb("ca revoke", "--node", "rev-node", "--json");
        assertThat(revoked.exit()).as(revoked.err()).isZero();
        assertThat(revoked.json().path("revoked").isArray()).isTrue();
        Run missing = verb("node show", "nope");
        assertThat(missing.exit()).isEqualTo(4);
        assertThat(missing.err()).contains("no node 'nope'");
    }

    @Test
    @Order(2)
    @DisplayName("cluster status: this controller alone, alive, unclustered, with its address and age; JSON and text")
    void clusterStatus() throws Exception {
        Run status = verb("cluster status", "--json");
        assertThat(status.exit()).as(status.err()).isZero();
        assertThat(status.json().path("mode").asText()).isEqualTo("single");
        assertThat(status.json().path("active").asBoolean()).isTrue();
        var self = status.json().path("members").get(0);
        assertThat(self.path("self").asBoolean()).isTrue();
        assertThat(self.path("alive").asBoolean()).isTrue();
        assertThat(self.path("address").asText()).isEqualTo(Files.readString(data.resolve("controller.url")).strip());
        Run text = verb("cluster status");
        assertThat(text.out()).contains("mode single").contains(" *").contains("alive");
    }

    @Test
    @Order(3)
    @DisplayName("version and config answer JSON, and version names the active crypto provider")
    void localVerbs() throws Exception {
        Run version = raw("version", "--json");
        assertThat(version.json().path("crypto_provider").asText()).isNotBlank();
        Run keys = raw("config", "--json");
        assertThat(keys.json().path("management-console.enabled").asText()).isEqualTo("DRAWBRIDGE_MANAGEMENT_CONSOLE_ENABLED");
    }

    @Test
    @Order(4)
    @DisplayName("a client with no controller to reach says what to do")
    void noControllerIsAClearError() {
        Run r = raw("node", "list", "--data-dir", dir.resolve("nowhere").toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("start a controller there");
    }

    @Test
    @Order(5)
    @DisplayName("instance create, list and delete answer JSON; deleting a missing instance is a clear error with exit 4")
    void instanceVerbs() throws Exception {
        Run created = verb("instance create", "cli-web", "--cpus", "1", "--memory-mb", "256", "--json");
        assertThat(created.exit()).as(created.err()).isZero();
        assertThat(created.json().path("state").asText()).as("no trusted host yet").isEqualTo("unplaced");
        assertThat(verb("instance list", "--json").json().findValuesAsText("name")).contains("cli-web");
        Run deleted = verb("instance delete", "cli-web", "--json");
        assertThat(deleted.exit()).as(deleted.err()).isZero();
        assertThat(deleted.json().path("name").asText()).isEqualTo("cli-web");
        assertThat(verb("instance list", "--json").json().findValuesAsText("name")).doesNotContain("cli-web");
        Run again = verb("instance delete", "cli-web");
        assertThat(again.exit()).isEqualTo(4);
        assertThat(again.err()).contains("no instance 'cli-web'");
    }

    @Test
    @Order(6)
    @DisplayName("a fence whose power-off is skipped (no power driver) exits 5 naming the step; the start-up log warned")
    void fenceExitStatusReflectsTheOutcome() throws Exception {
        assertThat(verb("node create", "fence-node").exit()).isZero();
        Run fenced = verb("fence", "fence-node", "--reason", "test");
        assertThat(fenced.exit()).as(fenced.out() + fenced.err()).isEqualTo(FenceCommands.INCOMPLETE);
        assertThat(fenced.err()).contains("power-off skipped").doesNotContain("evacuate");
        assertThat(fenced.out()).contains("skipped: no power driver configured").contains("no instances on fence-node");
        Run json = verb("node show", "fence-node", "--json");
        assertThat(json.json().path("state").asText()).isEqualTo("fenced");
        assertThat(Files.readString(log)).contains("fencing.power-driver is none");
        Run ticket = verb("node enroll", "fence-node");
        assertThat(ticket.exit()).isNotZero();
        assertThat(ticket.err()).contains("readmit first");
    }

    @Test
    @Order(10)
    @DisplayName("SIGTERM stops the controller cleanly, its logs are JSON lines, and even at debug they hold no secret")
    void sigtermStopsCleanly() throws Exception {
        controller.destroy();
        assertThat(controller.waitFor(30, TimeUnit.SECONDS)).isTrue();
        List<String> lines = Files.readAllLines(log).stream().filter(l -> l.startsWith("{")).toList();
        assertThat(lines).isNotEmpty();
        for (String l : lines) {
            ApiClient.JSON.readTree(l);
        }
        String all = Files.readString(log);
        assertThat(all).contains("controller stopped");
        assertThat(all).doesNotContain(Files.readString(data.resolve("admin.token")).strip());
        assertThat(all).as("the run logged at debug").contains("\"DEBUG\"");
        assertThat(SECRETS).as("a ticket was made during the run").isNotEmpty();
        for (String secret : SECRETS) {
            assertThat(all).as("ticket secret").doesNotContain(secret);
        }
        assertThat(all).as("CA passphrase").doesNotContain(CA_PASSPHRASE);
        assertThat(all).as("BMC password").doesNotContain(BMC_PASSWORD);
    }

    @Test
    @Order(11)
    @DisplayName("audit verify checks the stopped controller's trail, and names the missing tail after rows are cut off")
    void auditVerifyOnAStoppedController() throws Exception {
        controller.destroy();
        assertThat(controller.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Run ok = raw("audit", "verify", "--data-dir", data.toString(), "--json");
        assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
        long events = ok.json().path("events").asLong();
        assertThat(ok.json().path("checkpoint_seq").asLong()).as("a checkpoint was written at stop").isEqualTo(events);
        try (var db = Database.open(
                StoreConfig.defaults(), data)) {
            db.inTransaction(h -> h.createUpdate("DELETE FROM audit_events WHERE seq > :n").bind("n", events - 2).execute());
            db.inTransaction(h -> h.createUpdate("UPDATE audit_head SET seq = :n, hash = (SELECT hash FROM audit_events"
                    + " WHERE seq = :n) WHERE id = 1").bind("n", events - 2).execute());
        }
        Run bad = raw("audit", "verify", "--data-dir", data.toString());
        assertThat(bad.exit()).isEqualTo(AuditCommand.TAMPERED);
        assertThat(bad.out()).contains("TAMPERED").contains("rows " + (events - 1) + ".." + events + " were removed");
    }
}
