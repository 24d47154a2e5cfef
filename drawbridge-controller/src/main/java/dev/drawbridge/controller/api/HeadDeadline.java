package dev.drawbridge.controller.api;

import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1ConnectionListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deadline on reading a request's head, against slowloris clients that send a header line every few seconds and so
 * never look idle. The HTTP/1 server tells this listener when a request line has been read and when its headers are
 * complete; a connection whose headers are not complete {@code api.request-head-timeout} after its request line is
 * closed (its thread is interrupted, which closes a virtual thread's socket), and counted in {@code drawbridge_http_request_head_timeouts_total}. (A connection that trickles the request
 * line itself is closed by the idle-connection timeout, which covers the time before a request line is complete.)
 *
 * <p>Entries live only between a request line and its headers, and each is dropped at its deadline at the latest, so
 * the map is bounded by the connections the listener accepts.
 */
final class HeadDeadline implements Http1ConnectionListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HeadDeadline.class);

    private final long timeoutNanos;
    /** A connection reading its request head: its thread (each connection has one) and when its request line came. */
    private record Reading(Thread thread, long started) {}

    private final Map<ConnectionContext, Reading> reading = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    private final Counter closed;

    HeadDeadline(Duration timeout, MeterRegistry metrics) {
        this.timeoutNanos = timeout.toNanos();
        this.closed = Counter.builder("drawbridge.http.request.head.timeouts")
                .description("Connections closed because the request head was not complete within api.request-head-timeout")
                .register(metrics);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "api-request-head-deadline");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(100, Math.min(1000, timeout.toMillis() / 4));
        timer.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    /** Called on the connection's own thread once a request line has been read. */
    @Override
    public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
        reading.put(ctx, new Reading(Thread.currentThread(), System.nanoTime()));
    }

    /**
     * Called on the connection's thread once the headers are complete. If the sweep has already claimed this
     * connection (its deadline passed just as the last header arrived), the request is not handled: the connection
     * closes, so the sweep's interrupt can never reach a route.
     */
    @Override
    public void headers(ConnectionContext ctx, Headers headers) {
        if (reading.remove(ctx) == null) {
            throw new CloseConnectionException("request head not complete within the deadline");
        }
    }

    /** Connections whose head is being read right now (for tests and diagnostics). */
    int reading() {
        return reading.size();
    }

    private void sweep() {
        long now = System.nanoTime();
        reading.forEach((ctx, r) -> {
            if (now - r.started() > timeoutNanos && reading.remove(ctx, r)) {
                closed.increment();
                LOG.debug("closing a connection from {}: request head not complete after {} ms", ctx.remotePeer().address(),
                        TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
                // Interrupting a virtual thread blocked on a socket closes that socket; the server then ends the
                // connection quietly, as for any client that went away.
                r.thread().interrupt();
            }
        });
    }

    @Override
    public void close() {
        timer.shutdownNow();
        reading.clear();
    }
}
