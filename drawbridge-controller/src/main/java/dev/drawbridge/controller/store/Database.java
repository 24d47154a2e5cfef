package dev.drawbridge.controller.store;

import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.locks.ReentrantLock;
import org.flywaydb.core.api.FlywayException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

/**
 * The controller's store: a migrated schema behind a connection pool, on SQLite (embedded) or
 * PostgreSQL (shared by several controllers). Repositories take a Jdbi {@code Handle}, so one
 * transaction can span several of them.
 */
public final class Database implements AutoCloseable {
    static final String SQLITE_FILE = "drawbridge.db";

    private final HikariDataSource pool;
    /** The connections {@link #read} uses: query-only ones on SQLite; {@link #pool} itself on PostgreSQL. */
    private final HikariDataSource readPool;
    private final Jdbi jdbi;
    private final Jdbi readJdbi;
    private final Dialect dialect;
    private final String description;
    /** This store with connections of its own for a cluster member's heartbeat ({@link #liveness}). */
    private final Database liveness;
    /**
     * SQLite has one write lock. A transaction waiting for it sleeps in SQLite's busy handler inside a native call,
     * which pins its virtual thread's carrier: a few waiters can occupy every carrier while the holder, itself a
     * virtual thread, waits for one to finish its transaction. So on SQLite every write transaction takes this fair
     * lock before it takes a connection, and waiters park in Java, in arrival order. SQLite's own lock and busy
     * timeout stay as the backstop for writers that bypass it (Flyway; tests writing through {@link #jdbi()}).
     */
    private final ReentrantLock writers = new ReentrantLock(true);

    /** Connections kept apart for a member's heartbeat on PostgreSQL ({@link #liveness}). */
    static final int LIVENESS_POOL = 2;

    private Database(HikariDataSource pool, HikariDataSource readPool, Dialect dialect, String description,
                     Database liveness) {
        this.pool = pool;
        this.readPool = readPool;
        this.jdbi = Jdbi.create(pool);
        this.readJdbi = readPool == pool ? jdbi : Jdbi.create(readPool);
        this.dialect = dialect;
        this.description = description;
        this.liveness = liveness == null ? this : liveness;
    }

    /** Opens the store and brings its schema up to date; fails with {@link StoreException}. */
    /**
     * The store file and its WAL and shared-memory files readable by the owner only: SQLite gives the -wal and -shm
     * files the mode of the database file, so the file is made (or narrowed) to 0600 before SQLite opens it.
     */
    private static void ownerOnly(Path file) throws IOException {
        var mode = PosixFilePermissions.fromString("rw-------");
        if (!Files.exists(file)) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(mode));
        }
        for (String suffix : new String[] {"", "-wal", "-shm"}) {
            Path p = file.resolveSibling(file.getFileName() + suffix);
            if (Files.exists(p)) {
                Files.setPosixFilePermissions(p, mode);
            }
        }
    }

    private static final String SQLITE_URL = "jdbc:sqlite:";

    public static Database open(StoreConfig cfg, Path dataDir) {
        // store.url empty: SQLite in the data directory; jdbc:sqlite:PATH: SQLite at that file (a directory shared
        // by an active/standby pair); anything else: PostgreSQL.
        boolean sqliteAt = cfg.url().startsWith(SQLITE_URL);
        Dialect dialect = cfg.url().isEmpty() || sqliteAt ? Dialect.SQLITE : Dialect.POSTGRESQL;
        HikariDataSource pool;
        String description;
        Path file = sqliteAt ? Path.of(cfg.url().substring(SQLITE_URL.length())).toAbsolutePath()
                : dataDir.resolve(SQLITE_FILE).toAbsolutePath();
        try {
            if (dialect == Dialect.SQLITE) {
                Files.createDirectories(file.getParent());
                ownerOnly(file);
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
        if (dialect == Dialect.POSTGRESQL) {
            HikariDataSource beats;
            try {
                beats = DataSources.postgres(cfg, "drawbridge-postgresql-liveness", LIVENESS_POOL);
            } catch (RuntimeException e) {
                pool.close();
                throw new StoreException("cannot connect to the store: " + e.getMessage(), e);
            }
            return new Database(pool, pool, dialect, description,
                    new Database(beats, beats, dialect, description, null));
        }
        try {
            return new Database(pool, DataSources.sqliteReader(file, cfg.maxPoolSize()), dialect, description, null);
        } catch (RuntimeException e) {
            pool.close();
            throw new StoreException("cannot open read connections to " + description + ": " + e.getMessage(), e);
        }
    }

    /**
     * This store for a cluster member's heartbeat: on PostgreSQL over {@value #LIVENESS_POOL} connections of its own,
     * so that a beat never waits for a connection behind the work the member is doing (a member taking over
     * thousands of nodes can hold every connection of the main pool for seconds, and a member that cannot beat for
     * half the dead time stops driving its nodes). On SQLite the same store: every write there waits for the one
     * write lock, however many connections there are. Write guards ({@link #guarded}) set on one do not apply to
     * the other, so only code that takes none (the heartbeat) belongs here.
     */
    public Database liveness() {
        return liveness;
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

    /** The write guard in force on this thread, if any ({@link #guarded}). */
    private final ThreadLocal<WriteGuard> guards = new ThreadLocal<>();

    /**
     * Runs {@code work} with {@code guard} checked first in every write transaction this thread starts meanwhile,
     * so everything it writes, through whichever service, is refused ({@link WriteGuard.Fenced}) once the claim the
     * guard checks is gone. Guards do not nest: the inner one replaces the outer one for its duration.
     */
    public <R> R guarded(WriteGuard guard, java.util.function.Supplier<R> work) {
        WriteGuard outer = guards.get();
        guards.set(guard);
        try {
            return work.get();
        } finally {
            if (outer == null) {
                guards.remove();
            } else {
                guards.set(outer);
            }
        }
    }

    /** PostgreSQL: whether this thread is inside {@link #inTransaction}, which a {@link #read} then joins. */
    private final ThreadLocal<Boolean> writing = ThreadLocal.withInitial(() -> false);

    /**
     * Runs the callback in one transaction: it commits whole, or, when the callback throws, rolls
     * back and rethrows. Jdbi failures surface as {@link StoreException} ({@link StoreConflict} for
     * duplicates); the callback's own exceptions pass through unchanged.
     *
     * <p>SQLite transactions are serializable and writers queue on one lock, taken in Java first so
     * that waiting writers park instead of pinning a carrier thread. PostgreSQL runs at its default
     * READ COMMITTED; code that reads then writes shared state takes a row lock first (e.g. the audit
     * head), which serialises exactly the writers that conflict, with no retries. A callback that only
     * reads should use {@link #read}.
     */
    public <R> R inTransaction(HandleCallback<R, RuntimeException> given) {
        WriteGuard guard = guards.get();
        HandleCallback<R, RuntimeException> callback = guard == null ? given : h -> {
            guard.check(h);
            return given.withHandle(h);
        };
        if (dialect != Dialect.SQLITE) {
            boolean outer = !writing.get();
            writing.set(true);
            try {
                return run(jdbi, callback);
            } finally {
                if (outer) {
                    writing.set(false);
                }
            }
        }
        writers.lock();
        try {
            return run(jdbi, callback);
        } finally {
            writers.unlock();
        }
    }

    /**
     * Runs a callback that only reads, in one transaction that sees one consistent state. On SQLite it
     * neither waits for the write lock nor holds writers up: it reads a WAL snapshot on a query-only
     * connection (a write there fails). Called inside a write transaction on the same thread, it joins
     * that transaction, so it sees its uncommitted writes. On PostgreSQL it runs at REPEATABLE READ, so every
     * statement of the callback reads the one snapshot taken at its first (at READ COMMITTED each statement would
     * see the commits made since the previous one: a node's state read after its job could show a move made in
     * between, half of it); a transaction there that only reads never fails for serialization.
     */
    public <R> R read(HandleCallback<R, RuntimeException> callback) {
        if (dialect == Dialect.SQLITE && writers.isHeldByCurrentThread()) {
            return inTransaction(callback);
        }
        if (dialect != Dialect.SQLITE && writing.get()) {
            return run(jdbi, callback); // joins the write transaction this thread is in
        }
        if (dialect != Dialect.SQLITE) {
            try {
                return jdbi.inTransaction(TransactionIsolationLevel.REPEATABLE_READ, callback);
            } catch (StoreException e) {
                throw e;
            } catch (JdbiException e) {
                throw StoreException.from(e);
            }
        }
        return run(readJdbi, callback);
    }

    /**
     * Holds the lock called {@code name} from here until the transaction of {@code h} commits or rolls back, so
     * transactions that take it run one at a time, also across controllers sharing the store. PostgreSQL takes a
     * transaction-scoped advisory lock; SQLite has nothing to take, since its write transactions already run one at
     * a time. Take it before the transaction locks any row, so that no lock is ever waited for in two orders.
     */
    public void exclusive(Handle h, String name) {
        if (dialect == Dialect.POSTGRESQL) {
            h.createQuery("SELECT 1 FROM (SELECT pg_advisory_xact_lock(:key)) AS held")
                    .bind("key", (long) name.hashCode()).mapTo(Integer.class).one();
        }
    }

    private static <R> R run(Jdbi jdbi, HandleCallback<R, RuntimeException> callback) {
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
        if (liveness != this) {
            liveness.close();
        }
        if (readPool != pool) {
            readPool.close();
        }
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
