package dev.drawbridge.controller.store;

import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.flywaydb.core.api.FlywayException;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;

/**
 * The controller's store: a migrated schema behind a connection pool, on SQLite (embedded) or
 * PostgreSQL (shared by several controllers). Repositories take a Jdbi {@code Handle}, so one
 * transaction can span several of them.
 */
public final class Database implements AutoCloseable {
    static final String SQLITE_FILE = "drawbridge.db";

    private final HikariDataSource pool;
    private final Jdbi jdbi;
    private final Dialect dialect;
    private final String description;

    private Database(HikariDataSource pool, Dialect dialect, String description) {
        this.pool = pool;
        this.jdbi = Jdbi.create(pool);
        this.dialect = dialect;
        this.description = description;
    }

    /** Opens the store and brings its schema up to date; fails with {@link StoreException}. */
    public static Database open(StoreConfig cfg, Path dataDir) {
        Dialect dialect = cfg.url().isEmpty() ? Dialect.SQLITE : Dialect.POSTGRESQL;
        HikariDataSource pool;
        String description;
        try {
            if (dialect == Dialect.SQLITE) {
                Path file = Files.createDirectories(dataDir).resolve(SQLITE_FILE).toAbsolutePath();
                pool = DataSources.sqlite(file, cfg.maxPoolSize());
                description = "sqlite:" + file;
            } else {
                pool = DataSources.postgres(cfg);
                description = describePostgres(cfg.url());
            }
        } catch (IOException e) {
            throw new StoreException("cannot create data directory " + dataDir, new UncheckedIOException(e));
        } catch (RuntimeException e) {
            throw new StoreException("cannot connect to the store: " + e.getMessage(), e);
        }
        try {
            Migrations.apply(pool, dialect);
        } catch (FlywayException e) {
            pool.close();
            throw new StoreException("store migration failed on " + description + ": " + e.getMessage(), e);
        }
        return new Database(pool, dialect, description);
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    public Dialect dialect() {
        return dialect;
    }

    /** Where the store is, for logs and status pages; never includes credentials. */
    public String describe() {
        return description;
    }

    /**
     * Runs the callback in one transaction: it commits whole, or, when the callback throws, rolls
     * back and rethrows. Jdbi failures surface as {@link StoreException} ({@link StoreConflict} for
     * duplicates); the callback's own exceptions pass through unchanged.
     *
     * <p>SQLite transactions are serializable and writers queue on one lock. PostgreSQL runs at its
     * default READ COMMITTED; code that reads then writes shared state takes a row lock first
     * (e.g. the audit head), which serialises exactly the writers that conflict, with no retries.
     */
    public <R> R inTransaction(HandleCallback<R, RuntimeException> callback) {
        try {
            return jdbi.inTransaction(callback);
        } catch (StoreException e) {
            throw e;
        } catch (JdbiException e) {
            throw StoreException.from(e);
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    /** Keeps scheme, host, port and database; drops user-info and query parameters (which may hold a password). */
    static String describePostgres(String jdbcUrl) {
        String url = jdbcUrl.substring("jdbc:".length());
        int query = url.indexOf('?');
        if (query >= 0) {
            url = url.substring(0, query);
        }
        int at = url.indexOf('@');
        int scheme = url.indexOf("//");
        if (at >= 0 && scheme >= 0 && at > scheme) {
            url = url.substring(0, scheme + 2) + url.substring(at + 1);
        }
        return url;
    }
}
