package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.StoreConfig;
import dev.drawbridge.testkit.PostgresServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL restarted under load: while it is down every write is answered 503 with Retry-After (never 500, never
 * a hang), the controller serves again once it is back without being restarted, every write that got a 201 is there,
 * and no write is half there (each node has its audit event, written in the same transaction). The controller is a
 * member of a cluster, so its heartbeat, which runs over connections of its own, must come back too: a member that
 * stopped beating would drop its nodes and leases for good.
 */
class StoreOutageTest {
    @TempDir Path dir;

    @Test
    @DisplayName("PostgreSQL restarted under load: 503 with Retry-After while it is down, service after, nothing"
            + " acknowledged lost and nothing half-written, and the member beats again")
    void postgresRestartUnderLoad() throws Exception {
        PostgresServer pg = PostgresServer.dedicated();
        try {
            StoreConfig store = StoreConfig.postgres(pg.jdbcUrl(pg.createDatabase("outage")), pg.user(), "");
            try (var c = RunningController.start(dir.resolve("data"), cfg -> cfg.withStore(store)
                    .withCluster(cfg.cluster().enabledAs("outage-1", "shared")))) {
                Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
                List<String> acknowledged = new CopyOnWriteArrayList<>();
                List<String> unavailable = new CopyOnWriteArrayList<>();
                AtomicBoolean running = new AtomicBoolean(true);
                Thread writer = Thread.ofVirtual().start(() -> {
                    for (int i = 0; running.get(); i++) {
                        String name = "o-" + i;
                        try {
                            var a = c.call("POST", "/v1/nodes", "application/json", ("{\"name\":\"" + name
                                    + "\",\"macs\":[\"52:54:00:0e:" + String.format("%02x:%02x", (i >> 8) & 0xff,
                                    i & 0xff) + "\"]}").getBytes(), "Authorization", "Bearer " + c.token);
                            statuses.merge(a.status(), 1, Integer::sum);
                            if (a.status() == 201) {
                                acknowledged.add(name);
                            } else if (a.status() == 503) {
                                unavailable.add(a.header("Retry-After") + " " + a.problemType());
                            }
                        } catch (Exception e) {
                            statuses.merge(-1, 1, Integer::sum);
                        }
                    }
                });
                Thread.sleep(1500);
                pg.halt();
                Thread.sleep(8000); // longer than the dead time (6 s): the member's beats fail, and it stalls
                pg.resume();
                Thread.sleep(4000);
                running.set(false);
                writer.join(30_000);
                System.out.println("store outage: answers by status " + statuses);
                assertThat(unavailable).as("503s while PostgreSQL was down").isNotEmpty()
                        .allSatisfy(u -> assertThat(u).isEqualTo("5 store-unavailable"));
                assertThat(statuses.keySet()).as("only 201 and 503, never a 500 or a dropped connection")
                        .containsOnly(201, 503);
                int before = acknowledged.size();
                var after = c.call("POST", "/v1/nodes", "application/json",
                        "{\"name\":\"after-outage\",\"macs\":[\"52:54:00:0f:00:01\"]}".getBytes(), "Authorization",
                        "Bearer " + c.token);
                assertThat(after.status()).as("served again without a restart").isEqualTo(201);
                var beatsThen = self(c);
                Thread.sleep(5000); // two and a half heartbeats at the default 2 s
                var beatsNow = self(c);
                assertThat(beatsNow.path("alive").asBoolean()).as("still alive to the cluster: " + beatsNow).isTrue();
                assertThat(beatsNow.path("beats").asLong()).as("beating again after the outage")
                        .isGreaterThanOrEqualTo(beatsThen.path("beats").asLong() + 2);
                try (Database db = Database.open(store, dir.resolve("check"))) {
                    List<String> stored = db.read(h -> h.createQuery("SELECT name FROM nodes WHERE name LIKE 'o-%'")
                            .mapTo(String.class).list());
                    assertThat(stored).as("every acknowledged write").containsAll(acknowledged.subList(0, before));
                    int audited = db.read(h -> h.createQuery("SELECT COUNT(*) FROM audit_events WHERE kind ="
                            + " 'node.create' AND subject LIKE 'o-%'").mapTo(Integer.class).one());
                    assertThat(audited).as("each stored node has its audit event: nothing half-written")
                            .isEqualTo(stored.size());
                }
            }
        } finally {
            pg.stop();
        }
    }

    /** This member's row in {@code GET /v1/cluster}. */
    private static com.fasterxml.jackson.databind.JsonNode self(RunningController c) {
        var view = c.get("/v1/cluster");
        assertThat(view.status()).isEqualTo(200);
        for (var m : view.json().path("members")) {
            if (m.path("self").asBoolean()) {
                return m;
            }
        }
        throw new AssertionError("no member is this controller in " + view.json());
    }
}
