package dev.drawbridge.controller;

import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's periodic duties, each on its own virtual thread at its own interval, stopped together at close:
 * re-signing the CRL before it expires, for one. A duty that throws is logged and tried again at its next turn.
 */
final class Housekeeping implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Housekeeping.class);

    /** One duty: a name for the log, how often it runs, and what it does. */
    record Duty(String name, Duration every, Runnable work) {}

    private final List<Thread> threads;

    private Housekeeping(List<Thread> threads) {
        this.threads = threads;
    }

    static Housekeeping start(List<Duty> duties) {
        return new Housekeeping(duties.stream().map(d -> Thread.ofVirtual().name("duty-" + d.name()).start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(d.every());
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    d.work().run();
                } catch (RuntimeException e) {
                    LOG.warn("{} failed; it runs again in {}: {}", d.name(), d.every(), e.toString());
                }
            }
        })).toList());
    }

    @Override
    public void close() {
        threads.forEach(Thread::interrupt);
    }
}
