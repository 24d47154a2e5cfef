package dev.drawbridge.agent;

import java.time.Duration;

/**
 * Misbehaviour a simulated agent can be told to show, as seen on the wire: silent (connections are accepted and
 * held, nothing is answered: a hung host, not a refused port), slow (every answer held back by a delay), or
 * losing one answer (the next submission of a named command is carried out, then the connection closes unanswered,
 * as a reply lost to a timeout would be). Read by
 * {@link LightServer} for every connection and request, so a change applies at once. It also counts the answers
 * the agent gave and the longest wait between two of them, so a simulated fleet can show from the agents' side
 * whether the controller kept polling each one.
 */
public final class Faults {
    private volatile boolean silent;
    private volatile long delayMillis;
    /** A command whose next submission is carried out but whose answer is lost (the connection just closes). */
    private volatile String loseAnswerTo;
    private long lost;
    private long answers;
    private long lastAnswerNanos = System.nanoTime();
    private long longestGapNanos;

    public void silence(boolean on) {
        silent = on;
    }

    public void delay(long millis) {
        delayMillis = Math.max(0, millis);
    }

    /** Loses the answer to the next submission of {@code command} (for example identity.install_certificate). */
    public void loseAnswerTo(String command) {
        loseAnswerTo = command;
    }

    /** Whether an answer loss is armed at all: the server reads a command's name only then. */
    boolean losing() {
        return loseAnswerTo != null;
    }

    /** True, once, for the armed command: its answer is to be lost. */
    synchronized boolean takeLoss(String command) {
        if (command.equals(loseAnswerTo)) {
            loseAnswerTo = null;
            lost++;
            return true;
        }
        return false;
    }

    /** Answers lost on command so far. */
    public synchronized long lost() {
        return lost;
    }

    boolean silent() {
        return silent;
    }

    long delayMillis() {
        return delayMillis;
    }

    public String describe() {
        String armed = loseAnswerTo;
        return silent ? "silent" : delayMillis > 0 ? "slow " + delayMillis + " ms"
                : armed != null ? "losing the answer to " + armed : "normal";
    }

    /** Called by the server after each answer it wrote. */
    synchronized void answered() {
        long now = System.nanoTime();
        longestGapNanos = Math.max(longestGapNanos, now - lastAnswerNanos);
        answers++;
        lastAnswerNanos = now;
    }

    /** Answers given since the last {@link #resetCounts()} (or since this object was made). */
    public synchronized long answers() {
        return answers;
    }

    /**
     * The longest time without an answer since the last reset: between the reset and the first answer, between
     * two answers, or from the last answer until now.
     */
    public synchronized Duration longestGap() {
        return Duration.ofNanos(Math.max(longestGapNanos, System.nanoTime() - lastAnswerNanos));
    }

    /** Starts counting afresh from now. */
    public synchronized void resetCounts() {
        answers = 0;
        longestGapNanos = 0;
        lastAnswerNanos = System.nanoTime();
    }
}
