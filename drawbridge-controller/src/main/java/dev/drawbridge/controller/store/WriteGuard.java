package dev.drawbridge.controller.store;

import org.jdbi.v3.core.Handle;

/**
 * A check every write transaction on a thread runs first, while {@link Database#guarded} has it in force: a
 * controller's claim on what it is about to change (a node's reservation epoch, a singleton duty's lease epoch).
 * It throws {@link Fenced} when the claim is gone, so the transaction writes nothing.
 */
@FunctionalInterface
public interface WriteGuard {
    void check(Handle h);

    /** A write refused because the claim it was made under was taken by another controller. */
    final class Fenced extends RuntimeException {
        public Fenced(String message) {
            super(message);
        }
    }
}
