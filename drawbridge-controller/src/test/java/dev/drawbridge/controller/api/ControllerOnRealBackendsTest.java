package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.controller.config.CaConfig;
import dev.drawbridge.controller.config.ControllerConfig;
import dev.drawbridge.controller.store.StoreConfig;
import dev.drawbridge.testkit.OpenSsl;
import dev.drawbridge.testkit.PostgresServer;
import dev.drawbridge.testkit.SoftHsm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole controller on its non-default back ends: a CA key in a PKCS#11 token, and PostgreSQL as the store. */
class ControllerOnRealBackendsTest {
    @TempDir Path dir;

    @Test
    @DisplayName("with the CA key in SoftHSM2 the controller enrolls a node, and a restart finds the same root")
    void pkcs11CaKey() throws Exception {
        SoftHsm.Token token = SoftHsm.token();
        UnaryOperator<ControllerConfig> pkcs11 = cfg -> cfg.withCa(cfg.ca().withKeyStore("pkcs11",
                new CaConfig.Pkcs11Config(token.library().toString(), token.label(), token.userPin(), "",
                        "controller-test-ca")));
        String root;
        try (var c = RunningController.start(dir.resolve("data"), pkcs11)) {
            root = Files.readString(c.dataDir.resolve("ca.pem"));
            enrollAndVerify(c, "hsm-node");
            assertThat(Files.exists(c.dataDir.resolve("ca.p12"))).as("no key file when the key is in a token").isFalse();
        }
        try (var c = RunningController.start(dir.resolve("data"), pkcs11)) {
            assertThat(Files.readString(c.dataDir.resolve("ca.pem"))).isEqualTo(root);
        }
    }

    @Test
    @DisplayName("on PostgreSQL the controller enrolls and revokes, and everything is still there after a restart")
    void postgresStore() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        String url = pg.jdbcUrl(pg.createDatabase("controller"));
        UnaryOperator<ControllerConfig> postgres = cfg -> cfg.withStore(StoreConfig.postgres(url, pg.user(), ""));
        String serial;
        try (var c = RunningController.start(dir.resolve("data"), postgres)) {
            var ready = c.call("GET", "/readyz", null, null);
            assertThat(ready.json().path("status").asText()).isEqualTo("ready");
            assertThat(ready.text()).as("an unauthenticated probe learns nothing about the store").doesNotContain("postgresql");
            serial = enrollAndVerify(c, "pg-node");
            assertThat(c.json("POST", "/v1/certificates/" + serial + "/revoke", Map.of()).status()).isEqualTo(200);
        }
        try (var c = RunningController.start(dir.resolve("data"), postgres)) {
            assertThat(c.get("/v1/nodes/pg-node").status()).isEqualTo(200);
            assertThat(c.get("/v1/certificates/" + serial).json().path("status").asText()).isEqualTo("revoked");
        }
    }

    private String enrollAndVerify(RunningController c, String name) {
        c.createNode(name);
        var a = c.enroll(c.ticket(name, null), Csrs.ec(dir, name));
        assertThat(a.status()).as(a.text()).isEqualTo(201);
        Path cert = Csrs.write(dir, name + ".pem", a.json().path("certificate").asText());
        assertThat(OpenSsl.run(dir, "verify", "-CAfile", c.dataDir.resolve("ca.pem").toString(), cert.toString())
                .exitCode()).isZero();
        return a.json().path("serial").asText();
    }
}
