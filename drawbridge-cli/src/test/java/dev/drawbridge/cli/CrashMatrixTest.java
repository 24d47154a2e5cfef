package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.StoreConfig;
import dev.drawbridge.testkit.PostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crash matrix, on SQLite and on PostgreSQL: the controller killed with SIGKILL during enrollment, cleaning and deployment, halted between
 * each pair of fence steps, and killed during CA issuance under load. After each restart the operation resumes or
 * ends with a reason, the store's integrity check passes, the audit chain verifies, every enrollment acknowledged with
 * a 201 is in the store, and no ticket has given two certificates.
 */
class CrashMatrixTest {
    private static final List<String> FENCE_STEPS = List.of("disable-placement", "revoke-certificates", "revoke-oauth",
            "power-off", "evacuate", "notify");
    private static final Map<String, String> FAKE_POWER = Map.of("DRAWBRIDGE_FENCING_POWER_DRIVER", "fake");
    @TempDir Path dir;
    Path data;
    Path log;

    private static JsonNode await(ApiClient api, String path, Predicate<JsonNode> done) throws InterruptedException {
        Instant end = Instant.now().plus(Duration.ofSeconds(90));
        JsonNode n = api.get(path);
        while (!done.test(n)) {
            if (Instant.now().isAfter(end)) {
                throw new AssertionError("gave up waiting on " + path + ": " + n);
            }
            Thread.sleep(100);
            n = api.get(path);
        }
        return n;
    }

    private static Predicate<JsonNode> state(String s) {
        return n -> {
            if (n.path("state").asText().equals("error")) {
                throw new AssertionError("went to error: " + n);
            }
            return n.path("state").asText().equals(s);
        };
    }

    /** The store under test: SQLite in the data directory, or a database on a real PostgreSQL server. */
    private StoreConfig store = StoreConfig.defaults();

    /** The controller's environment: fast fake power, the store, and {@code extra}. */
    private ControllerProcess start(Map<String, String> extra) throws Exception {
        Map<String, String> env = new HashMap<>(FAKE_POWER);
        if (!store.url().isEmpty()) {
            env.put("DRAWBRIDGE_STORE_URL", store.url());
            env.put("DRAWBRIDGE_STORE_USER", store.user());
        }
        env.putAll(extra);
        return ControllerProcess.start(data, log, env);
    }

    /**
     * With the controller stopped: the store's own integrity check (SQLite's {@code PRAGMA integrity_check}, or on
     * PostgreSQL amcheck's heap and B-tree checks over every table and index), and the audit chain against its signed
     * checkpoint.
     */
    private void storeIsWhole(String after) throws IOException {
        try (Database db = Database.open(store, data)) {
            if (store.url().isEmpty()) {
                String integrity = db.read(h -> h.createQuery("PRAGMA integrity_check").mapTo(String.class).one());
                assertThat(integrity).as("integrity after " + after).isEqualTo("ok");
            } else {
                db.inTransaction(h -> h.execute("CREATE EXTENSION IF NOT EXISTS amcheck"));
                List<String> heap = db.read(h -> h.createQuery("SELECT c.relname || ': ' || v.msg FROM pg_class c, "
                        + "LATERAL verify_heapam(c.oid) v WHERE c.relkind = 'r' "
                        + "AND c.relnamespace = 'public'::regnamespace").mapTo(String.class).list());
                assertThat(heap).as("heap corruption after " + after).isEmpty();
                int indexes = db.read(h -> h.createQuery("SELECT count(bt_index_check(c.oid, true)) FROM pg_index i "
                        + "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
                        + "WHERE am.amname = 'btree' AND c.relnamespace = 'public'::regnamespace")
                        .mapTo(Integer.class).one());
                assertThat(indexes).as("B-tree indexes checked after " + after).isPositive();
            }
        }
        List<String> args = new ArrayList<>(List.of("audit", "verify", "--data-dir", data.toString()));
        if (!store.url().isEmpty()) {
            Path config = dir.resolve("store.yaml");
            Files.writeString(config, "store:\n  url: \"" + store.url() + "\"\n  user: \"" + store.user()
                    + "\"\n");
            args.addAll(List.of("--config", config.toString()));
        }
        int audit = Main.run(args.toArray(String[]::new));
        assertThat(audit).as("audit verify after " + after).isZero();
    }

    @Test
    @DisplayName("SQLite: kill -9 during enrollment, cleaning, deployment, between fence steps and during issuance: each resumes")
    void everyOperationSurvivesAKill() throws Exception {
        matrix();
    }

    @Test
    @DisplayName("PostgreSQL: the same crash matrix on a real server, checked with amcheck")
    void everyOperationSurvivesAKillOnPostgres() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        store = StoreConfig.postgres(pg.jdbcUrl(pg.createDatabase("crash_matrix")), pg.user(), "");
        matrix();
        assertThat(data.resolve("drawbridge.db")).as("the controllers used PostgreSQL, not SQLite").doesNotExist();
        try (Database db = Database.open(store, data)) {
            int nodes = db.read(h -> h.createQuery("SELECT count(*) FROM nodes").mapTo(Integer.class).one());
            assertThat(nodes)
                    .as("nodes in PostgreSQL").isGreaterThanOrEqualTo(47);
        }
    }

    private void matrix() throws Exception {
        data = dir.resolve("ctl");
        log = dir.resolve("controller.log");
        ControllerProcess c = start(Map.of());
        try (ImageServer images = new ImageServer("127.0.0.1", 1L << 20)) {
            ApiClient api = ApiClient.from(data, Map.of());
            api.post("/v1/nodes", Map.of("name", "crash-m", "macs", List.of("52:54:00:cc:00:02")));
            String payload = api.post(NodeCommand.path("crash-m") + "/payload", Map.of()).path("payload").asText();
            try (SimulatedNode node = SimulatedNode.start(dir.resolve("crash-m"), "127.0.0.1", payload,
                    SimulatedNode.profile("52:54:00:cc:00:02"))) {
                api.patch(NodeCommand.path("crash-m"), Map.of("agent_address", node.address(),
                        "labels", Map.of("root-device", node.disk().toString())));

                // Enrollment: killed while enrolling, then the ticket is still good for exactly one certificate.
                api.post(NodeCommand.path("crash-m") + "/actions", Map.of("action", "manage"));
                await(api, NodeCommand.path("crash-m"), n -> n.path("state").asText().equals("enrolling"));
                Thread.sleep(150);
                c.kill();
                storeIsWhole("a kill during enrollment");
                c = start(Map.of());
                api = ApiClient.from(data, Map.of());
                await(api, NodeCommand.path("crash-m"), state("manageable"));
                JsonNode certs = api.get(NodeCommand.path("crash-m") + "/certificates").path("items");
                assertThat(certs.size()).as("one ticket, one certificate: " + certs).isEqualTo(1);

                // Cleaning.
                api.post(NodeCommand.path("crash-m") + "/actions", Map.of("action", "provide"));
                await(api, NodeCommand.path("crash-m"), n -> n.path("state").asText().equals("cleaning"));
                c.kill();
                storeIsWhole("a kill during cleaning");
                c = start(Map.of());
                api = ApiClient.from(data, Map.of());
                await(api, NodeCommand.path("crash-m"), state("available"));

                // Deployment.
                String sha = images.publishRandom("/os.img", 4 << 20);
                api.post(NodeCommand.path("crash-m") + "/actions", Map.of("action", "deploy",
                        "image_url", images.url("/os.img"), "image_sha256", sha));
                await(api, NodeCommand.path("crash-m"), n -> n.path("progress").path("done").asLong() > 0);
                c.kill();
                storeIsWhole("a kill during deployment");
                c = start(Map.of());
                api = ApiClient.from(data, Map.of());
                await(api, NodeCommand.path("crash-m"), state("active"));
            }

            // A fence halted after each of its steps: the restarted controller finishes it.
            for (int i = 0; i < FENCE_STEPS.size(); i++) {
                String step = FENCE_STEPS.get(i);
                String name = "fence-" + i;
                api.post("/v1/nodes", Map.of("name", name, "bmc_address", "127.0.3." + (i + 1) + ":623"));
                c.kill();
                c = start(Map.of("DRAWBRIDGE_TEST_HALT_AT", "fence:" + step));
                api = ApiClient.from(data, Map.of());
                try {
                    api.post(NodeCommand.path(name) + "/fence", Map.of("reason", "crash matrix: halt after " + step));
                } catch (CliException e) {
                    // the controller may die before it answers
                }
                assertThat(c.awaitExit(Duration.ofSeconds(30))).as("halted after " + step).isEqualTo(137);
                storeIsWhole("a halt after fence step " + step);
                c = start(Map.of());
                api = ApiClient.from(data, Map.of());
                JsonNode fence = await(api, NodeCommand.path(name) + "/fences", f -> f.path("items").size() == 1
                        && !f.path("items").get(0).path("status").asText().equals("running")).path("items").get(0);
                assertThat(fence.path("status").asText()).as("fence halted after " + step + ": " + fence).isEqualTo("done");
                assertThat(fence.findValuesAsText("status")).as(step).containsOnly("done");
                assertThat(api.get(NodeCommand.path(name)).path("state").asText()).isEqualTo("fenced");
            }

            // Issuance under load: 40 enrollments at once, killed part way through.
            int count = 40;
            List<String[]> jobs = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String name = "issue-" + i;
                api.post("/v1/nodes", Map.of("name", name));
                String ticket = api.post(NodeCommand.path(name) + "/tickets", Map.of()).path("ticket").asText();
                jobs.add(new String[] {name, ticket, DemoPki.csr(DemoPki.newKey(), name)});
            }
            Map<String, String> acked = new ConcurrentHashMap<>();
            ApiClient enrolling = api;
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (String[] job : jobs) {
                    pool.submit(() -> {
                        try {
                            JsonNode granted = enrolling.post("/v1/enroll", Map.of("ticket", job[1], "csr", job[2]));
                            acked.put(job[0], granted.path("serial").asText());
                        } catch (CliException e) {
                            // refused or cut off by the kill
                        }
                    });
                }
                Instant end = Instant.now().plus(Duration.ofSeconds(30));
                while (acked.size() < count / 4 && Instant.now().isBefore(end)) {
                    Thread.sleep(5);
                }
                c.kill();
            }
            assertThat(acked).as("some enrollments were acknowledged before the kill").isNotEmpty();
            storeIsWhole("a kill during issuance");
            c = start(Map.of());
            api = ApiClient.from(data, Map.of());
            Set<String> withTwo = ConcurrentHashMap.newKeySet();
            for (String[] job : jobs) {
                JsonNode certs = api.get(NodeCommand.path(job[0]) + "/certificates").path("items");
                if (certs.size() > 1) {
                    withTwo.add(job[0]);
                }
                if (acked.containsKey(job[0])) {
                    assertThat(api.get("/v1/certificates/" + acked.get(job[0])).path("serial").asText())
                            .as("acknowledged certificate of " + job[0]).isEqualTo(acked.get(job[0]));
                }
            }
            assertThat(withTwo).as("tickets that gave two certificates").isEmpty();
        } finally {
            c.close();
        }
    }
}
