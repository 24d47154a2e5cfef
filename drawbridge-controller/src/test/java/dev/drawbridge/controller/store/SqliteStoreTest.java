package dev.drawbridge.controller.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The conformance suite on the embedded store: a SQLite file in a fresh temp directory per test. */
class SqliteStoreTest extends StoreConformanceTest {

    @Override
    StoreConfig freshStore(Path dataDir) {
        return StoreConfig.defaults();
    }

    @Override
    Dialect expectedDialect() {
        return Dialect.SQLITE;
    }

    @Test
    void the_sqlite_file_lives_in_the_data_directory_in_wal_mode_with_foreign_keys_on() {
        assertThat(db.describe()).isEqualTo("sqlite:" + dataDir.resolve("drawbridge.db").toAbsolutePath());
        assertThat(pragma("journal_mode")).isEqualToIgnoringCase("wal");
        assertThat(pragma("foreign_keys")).isEqualTo("1");
        assertThat(pragma("busy_timeout")).isEqualTo(String.valueOf(DataSources.SQLITE_BUSY_TIMEOUT_MS));
    }

    private String pragma(String name) {
        return db.jdbi().withHandle(h -> h.createQuery("PRAGMA " + name).mapTo(String.class).one());
    }
}
