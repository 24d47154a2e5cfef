package dev.drawbridge.controller.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/** Builds the connection pool for each engine, with the settings that engine needs to be safe under concurrency. */
final class DataSources {
    /** Long enough that a writer queued behind a burst of others waits rather than failing with SQLITE_BUSY. */
    static final int SQLITE_BUSY_TIMEOUT_MS = 10_000;

    private DataSources() {}

    /** Connections for write transactions (and Flyway). */
    static HikariDataSource sqlite(Path file, int maxPoolSize) {
        // BEGIN IMMEDIATE takes the write lock up front. A deferred transaction that reads and then
        // writes can fail with SQLITE_BUSY immediately (no busy wait) when another writer got there
        // first; immediate ones simply queue on the busy timeout, so writers serialise.
        HikariConfig hikari = sqlite(file, SQLiteConfig.TransactionMode.IMMEDIATE);
        hikari.setPoolName("drawbridge-sqlite");
        hikari.setMaximumPoolSize(maxPoolSize);
        hikari.setMinimumIdle(1);
        return new HikariDataSource(hikari);
    }

    /**
     * Connections for read-only transactions: deferred, so a transaction reads one WAL snapshot and never takes the
     * write lock (it neither waits for writers nor holds them up), and {@code query_only}, so a write sent here by
     * mistake fails instead of slipping past the writer lock.
     */
    static HikariDataSource sqliteReader(Path file, int maxPoolSize) {
        HikariConfig hikari = sqlite(file, SQLiteConfig.TransactionMode.DEFERRED);
        hikari.setConnectionInitSql("PRAGMA query_only = 1");
        hikari.setPoolName("drawbridge-sqlite-read");
        hikari.setMaximumPoolSize(maxPoolSize);
        hikari.setMinimumIdle(1);
        return new HikariDataSource(hikari);
    }

    private static HikariConfig sqlite(Path file, SQLiteConfig.TransactionMode mode) {
        SQLiteConfig sqlite = new SQLiteConfig();
        sqlite.setJournalMode(SQLiteConfig.JournalMode.WAL);
        sqlite.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        sqlite.enforceForeignKeys(true);
        sqlite.setBusyTimeout(SQLITE_BUSY_TIMEOUT_MS);
        sqlite.setTransactionMode(mode);
        SQLiteDataSource ds = new SQLiteDataSource(sqlite);
        ds.setUrl("jdbc:sqlite:" + file);
        HikariConfig hikari = new HikariConfig();
        hikari.setDataSource(ds);
        return hikari;
    }

    static HikariDataSource postgres(StoreConfig cfg) {
        return postgres(cfg, "drawbridge-postgresql", cfg.maxPoolSize());
    }

    /** A pool of at most {@code size} connections to the configured PostgreSQL, named {@code name}. */
    static HikariDataSource postgres(StoreConfig cfg, String name, int size) {
        HikariConfig hikari = new HikariConfig();
        hikari.setJdbcUrl(cfg.url());
        if (!cfg.user().isEmpty()) {
            hikari.setUsername(cfg.user());
        }
        if (!cfg.password().isEmpty()) {
            hikari.setPassword(cfg.password());
        }
        hikari.setPoolName(name);
        hikari.setMaximumPoolSize(size);
        // While the server is down a request waits at most this long for a connection, then fails (503 with
        // Retry-After at the API) instead of hanging for Hikari's default 30 s; a connection that broke with the
        // server is checked and replaced on its next borrow.
        hikari.setConnectionTimeout(3_000);
        hikari.setValidationTimeout(1_000);
        // The JDBC driver's own timeouts, so a vanished server cannot hold a connection attempt or a read forever.
        hikari.addDataSourceProperty("connectTimeout", "3");
        hikari.addDataSourceProperty("socketTimeout", "60");
        hikari.setMinimumIdle(Math.min(2, size));
        return new HikariDataSource(hikari);
    }
}
