package dev.drawbridge.controller.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.testkit.PostgresServer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The conformance suite on a real PostgreSQL server, with a fresh database per test. */
class PostgresStoreTest extends StoreConformanceTest {

    @Override
    StoreConfig freshStore(Path dataDir) {
        PostgresServer pg = PostgresServer.shared();
        String database = pg.createDatabase("store_test");
        // The harness trusts local connections, so the password only proves describe() hides it.
        return new StoreConfig(pg.jdbcUrl(database) + "?password=" + SECRET, pg.user(), SECRET, 4, "");
    }

    @Override
    Dialect expectedDialect() {
        return Dialect.POSTGRESQL;
    }

    @Test
    void describe_names_host_and_database_but_no_credentials() {
        assertThat(db.describe()).startsWith("postgresql://127.0.0.1:").doesNotContain(SECRET).doesNotContain("?");
        assertThat(Database.describePostgres("jdbc:postgresql://admin:pw@db.example:5432/drawbridge?ssl=true"))
                .isEqualTo("postgresql://db.example:5432/drawbridge");
    }
}
