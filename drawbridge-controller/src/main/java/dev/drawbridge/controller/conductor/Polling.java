package dev.drawbridge.controller.conductor;

/**
 * The controller's polling of agents: the {@link Conductor}, or {@link #off()} when {@code conductor.enabled} is
 * false. Callers hold one of these instead of an optional conductor.
 */
public interface Polling extends AutoCloseable {
    /** Begins polling. */
    void start();

    /** Asks for the node to be polled soon, after an operator action changed what it should do. */
    void wake(String nodeId);

    @Override
    void close();

    /** No polling: every call does nothing. */
    static Polling off() {
        return new Polling() {
            @Override
            public void start() {
            }

            @Override
            public void wake(String nodeId) {
            }

            @Override
            public void close() {
            }
        };
    }
}
