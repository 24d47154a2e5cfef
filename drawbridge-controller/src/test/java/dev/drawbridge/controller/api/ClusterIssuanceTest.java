package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drawbridge.controller.config.CaConfig;
import dev.drawbridge.controller.config.ControllerConfig;
import dev.drawbridge.controller.store.StoreConfig;
import dev.drawbridge.testkit.OpenSsl;
import dev.drawbridge.testkit.PostgresServer;
import dev.drawbridge.testkit.SoftHsm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issuance on every member: two clustered controllers on one PostgreSQL reach the one CA key in a PKCS#11 token
 * (SoftHSM2), and each signs certificates that chain to the same root, with serials that never collide.
 */
class ClusterIssuanceTest {
    @TempDir Path dir;

    @Test
    @DisplayName("two clustered controllers share the CA key in a SoftHSM2 token: both issue, one root, distinct serials")
    void everyMemberIssues() throws Exception {
        SoftHsm.Token token = SoftHsm.token();
        PostgresServer pg = PostgresServer.shared();
        StoreConfig store = StoreConfig.postgres(pg.jdbcUrl(pg.createDatabase("cluster_ca")), pg.user(), "");
        UnaryOperator<ControllerConfig> m1 = cfg -> member(cfg, store, token, "m1");
        UnaryOperator<ControllerConfig> m2 = cfg -> member(cfg, store, token, "m2");
        try (var a = RunningController.start(dir.resolve("m1"), m1);
             var b = RunningController.start(shareKek(dir.resolve("m1"), dir.resolve("m2")), m2)) {
            String root = Files.readString(a.dataDir.resolve("ca.pem"));
            assertThat(Files.readString(b.dataDir.resolve("ca.pem"))).as("one CA for both members").isEqualTo(root);
            Set<String> serials = new HashSet<>();
            for (int i = 0; i < 5; i++) {
                for (RunningController c : new RunningController[] {a, b}) {
                    String name = "iss-" + (c == a ? "a" : "b") + "-" + i;
                    c.createNode(name);
                    var answer = c.enroll(c.ticket(name, null), Csrs.ec(dir, name));
                    assertThat(answer.status()).as(answer.text()).isEqualTo(201);
                    Path cert = Csrs.write(dir, name + ".pem", answer.json().path("certificate").asText());
                    assertThat(OpenSsl.run(dir, "verify", "-CAfile", a.dataDir.resolve("ca.pem").toString(),
                            cert.toString()).exitCode()).as(name + " chains to the shared root").isZero();
                    assertThat(serials.add(answer.json().path("serial").asText())).as("a new serial").isTrue();
                }
            }
            assertThat(Files.exists(a.dataDir.resolve("ca.p12")) || Files.exists(b.dataDir.resolve("ca.p12")))
                    .as("no key file: the key stays in the token").isFalse();
        }
    }

    @Test
    @DisplayName("ca.key-store: store: two members started at the same moment on one PostgreSQL, with one"
            + " key-encryption key from config and nothing copied between them, make one CA between them; both"
            + " issue; a member with another key-encryption key refuses to start")
    void theKeyInTheStore() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        StoreConfig base = StoreConfig.postgres(pg.jdbcUrl(pg.createDatabase("store_ca")), pg.user(), "");
        Path kek = secret(dir.resolve("kek"), newKek());
        UnaryOperator<ControllerConfig> m1 = cfg -> inStore(cfg, base.withKekFile(kek.toString()), "s1");
        UnaryOperator<ControllerConfig> m2 = cfg -> inStore(cfg, base.withKekFile(kek.toString()), "s2");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            // Both start at once: both find no key, both make one, one is stored and the other member takes it.
            Future<RunningController> fa = pool.submit(() -> RunningController.start(dir.resolve("s1"), m1));
            Future<RunningController> fb = pool.submit(() -> RunningController.start(dir.resolve("s2"), m2));
            String root;
            try (var a = fa.get(2, TimeUnit.MINUTES); var b = fb.get(2, TimeUnit.MINUTES)) {
                root = Files.readString(a.dataDir.resolve("ca.pem"));
                assertThat(Files.readString(b.dataDir.resolve("ca.pem"))).as("one CA for both").isEqualTo(root);
                Set<String> serials = new HashSet<>();
                for (RunningController c : new RunningController[] {a, b}) {
                    for (int i = 0; i < 3; i++) {
                        String name = "st-" + (c == a ? "a" : "b") + "-" + i;
                        c.createNode(name);
                        var answer = c.enroll(c.ticket(name, null), Csrs.ec(dir, name));
                        assertThat(answer.status()).as(answer.text()).isEqualTo(201);
                        Path cert = Csrs.write(dir, name + ".pem", answer.json().path("certificate").asText());
                        assertThat(OpenSsl.run(dir, "verify", "-CAfile", a.dataDir.resolve("ca.pem").toString(),
                                cert.toString()).exitCode()).as(name + " chains to the one root").isZero();
                        assertThat(serials.add(answer.json().path("serial").asText())).isTrue();
                    }
                }
                for (RunningController c : new RunningController[] {a, b}) {
                    assertThat(c.dataDir.resolve("ca.p12")).as("no key file").doesNotExist();
                    assertThat(c.dataDir.resolve("store.kek")).as("the key-encryption key comes from config")
                            .doesNotExist();
                }
                // In the database only sealed: a dump holds the key encrypted under a key it does not hold.
                try (Connection db = DriverManager.getConnection(base.url(), pg.user(), "");
                     ResultSet rs = db.createStatement().executeQuery("SELECT key_sealed FROM ca_key")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).startsWith("v1:");
                    assertThat(rs.next()).as("one CA key").isFalse();
                }
                // A member whose key-encryption key differs cannot open the CA key, and says why.
                Path other = secret(dir.resolve("other-kek"), newKek());
                assertThatThrownBy(() -> RunningController.start(dir.resolve("s3"),
                        cfg -> inStore(cfg, base.withKekFile(other.toString()), "s3")))
                        .hasMessageContaining("store.kek");
                // The right key in a file others may read is refused too, with the command that mends it.
                Path open = Files.writeString(dir.resolve("open-kek"), Files.readString(kek));
                Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
                assertThatThrownBy(() -> RunningController.start(dir.resolve("s4"),
                        cfg -> inStore(cfg, base.withKekFile(open.toString()), "s4")))
                        .hasMessageContaining("store.kek-file").hasMessageContaining("chmod 600 " + open);
            }
            // Both stop; one starts again: it opens the same key from the store and goes on issuing under the root.
            try (var again = RunningController.start(dir.resolve("s1"), m1)) {
                assertThat(Files.readString(again.dataDir.resolve("ca.pem"))).isEqualTo(root);
                again.createNode("st-again");
                var answer = again.enroll(again.ticket("st-again", null), Csrs.ec(dir, "st-again"));
                assertThat(answer.status()).as(answer.text()).isEqualTo(201);
                Path cert = Csrs.write(dir, "st-again.pem", answer.json().path("certificate").asText());
                assertThat(OpenSsl.run(dir, "verify", "-CAfile", again.dataDir.resolve("ca.pem").toString(),
                        cert.toString()).exitCode()).isZero();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static Path secret(Path file, String text) throws java.io.IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static String newKek() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(k) + "\n";
    }

    private static ControllerConfig inStore(ControllerConfig cfg, StoreConfig store, String name) {
        return cfg.withStore(store).withCa(cfg.ca().withKeyStore("store", cfg.ca().pkcs11()))
                .withCluster(cfg.cluster().enabledAs(name, "shared"));
    }

    /** Members share the key that seals secrets in the store (OAuth signing keys, pin keys). */
    private static Path shareKek(Path from, Path to) throws java.io.IOException {
        Files.createDirectories(to);
        Files.copy(from.resolve("store.kek"), to.resolve("store.kek"));
        return to;
    }

    private static ControllerConfig member(ControllerConfig cfg, StoreConfig store, SoftHsm.Token token, String name) {
        return cfg.withStore(store)
                .withCa(cfg.ca().withKeyStore("pkcs11", new CaConfig.Pkcs11Config(token.library().toString(),
                        token.label(), token.userPin(), "", "cluster-ca")))
                .withCluster(cfg.cluster().enabledAs(name, "shared"));
    }
}
