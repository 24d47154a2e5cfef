package dev.drawbridge.agent;

/**
 * Misbehaviour a simulated agent can be told to show, as seen on the wire: silent (connections are accepted and
 * held, nothing is answered: a hung host, not a refused port) or slow (every answer held back by a delay). Read by
 * {@link LightServer} for every connection and request, so a change applies at once.
 */
public final class Faults {
    private volatile boolean silent;
    private volatile long delayMillis;

    public void silence(boolean on) {
        silent = on;
    }

    public void delay(long millis) {
        delayMillis = Math.max(0, millis);
    }

    boolean silent() {
        return silent;
    }

    long delayMillis() {
        return delayMillis;
    }

    public String describe() {
        return silent ? "silent" : delayMillis > 0 ? "slow " + delayMillis + " ms" : "normal";
    }
}
