package dev.drawbridge.controller.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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

    @Test
    void a_writer_waiting_for_another_parks_in_java_instead_of_sleeping_in_sqlites_busy_handler() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofVirtual().start(() -> db.inTransaction(h -> {
            h.execute("UPDATE counters SET value = value + 1 WHERE name = 'crl_number'");
            holding.countDown();
            await(release);
            return null;
        }));
        assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        Thread waiter = Thread.ofVirtual().start(() -> db.inTransaction(h ->
                h.execute("UPDATE counters SET value = value + 10 WHERE name = 'crl_number'")));

        // Sleeping in the busy handler is a native call: the thread would show RUNNABLE and hold its carrier.
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (waiter.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(waiter.getState()).isEqualTo(Thread.State.WAITING);
        release.countDown();
        holder.join();
        waiter.join();
        assertThat(crlCounter()).isEqualTo(11);
    }

    @Test
    void a_read_neither_waits_for_an_open_write_transaction_nor_sees_its_uncommitted_rows() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofVirtual().start(() -> db.inTransaction(h -> {
            nodes.create(h, newNode("uncommitted"), T0);
            holding.countDown();
            await(release);
            return null;
        }));
        assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();

        long t0 = System.nanoTime();
        long seen = db.read(nodes::count);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);

        release.countDown();
        holder.join();
        assertThat(seen).isZero();
        assertThat(took).isLessThan(Duration.ofSeconds(2));
        assertThat(db.read(nodes::count)).isEqualTo(1);
    }

    @Test
    void a_write_sent_through_read_fails_and_changes_nothing() {
        assertThatThrownBy(() -> db.read(h -> h.execute("UPDATE counters SET value = 99 WHERE name = 'crl_number'")))
                .isInstanceOf(StoreException.class);
        assertThat(crlCounter()).isZero();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private long crlCounter() {
        return db.read(h -> h.createQuery("SELECT value FROM counters WHERE name = 'crl_number'").mapTo(Long.class)
                .one());
    }

    private String pragma(String name) {
        return db.jdbi().withHandle(h -> h.createQuery("PRAGMA " + name).mapTo(String.class).one());
    }
}
