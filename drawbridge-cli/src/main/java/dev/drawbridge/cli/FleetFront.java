package dev.drawbridge.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay in front of one simulated agent that can stop answering or answer late. It relays raw bytes, so
 * TLS still ends at the agent and the controller sees the agent's own certificate. Silenced, it accepts and holds
 * connections without relaying anything (a hung host, not a refused port); slowed, it holds each answer back by
 * the delay after the request that caused it. One virtual thread per direction per connection.
 */
final class FleetFront implements AutoCloseable {
    private final ServerSocket listener;
    private final InetSocketAddress agent;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean silent;
    private volatile long delayMillis;
    private volatile boolean closed;

    private FleetFront(ServerSocket listener, InetSocketAddress agent) {
        this.listener = listener;
        this.agent = agent;
    }

    static FleetFront start(String host, int agentPort) {
        try {
            ServerSocket s = new ServerSocket();
            s.bind(new InetSocketAddress(host, 0), 256);
            FleetFront f = new FleetFront(s, new InetSocketAddress(host, agentPort));
            Thread.ofVirtual().name("front-" + host).start(f::accept);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ": " + e.getMessage(), e);
        }
    }

    int port() {
        return listener.getLocalPort();
    }

    void silence(boolean on) {
        silent = on;
    }

    void delay(long millis) {
        delayMillis = Math.max(0, millis);
    }

    String describe() {
        return silent ? "silent" : delayMillis > 0 ? "slow " + delayMillis + " ms" : "normal";
    }

    private void accept() {
        while (!closed) {
            try {
                Socket in = listener.accept();
                Thread.ofVirtual().start(() -> relay(in));
            } catch (IOException e) {
                if (!closed) {
                    pause(100);
                }
            }
        }
    }

    private void relay(Socket in) {
        open.add(in);
        try (in; Socket out = new Socket()) {
            out.connect(agent, 5000);
            open.add(out);
            in.setTcpNoDelay(true);
            out.setTcpNoDelay(true);
            long[] requestAt = {0};
            Thread up = Thread.ofVirtual().start(() -> pump(in, out, requestAt, true));
            pump(out, in, requestAt, false);
            up.join();
            open.remove(out);
        } catch (IOException e) {
            // The agent or the controller went away: nothing to tell anyone.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(in);
        }
    }

    /** Copies one direction; {@code requestAt} marks when the controller last sent bytes that are not yet answered. */
    private void pump(Socket from, Socket to, long[] requestAt, boolean upstream) {
        byte[] buf = new byte[16 * 1024];
        try (InputStream r = from.getInputStream(); OutputStream w = to.getOutputStream()) {
            int n;
            while ((n = r.read(buf)) > 0) {
                while (silent && !closed) {
                    pause(100);
                }
                if (upstream) {
                    synchronized (requestAt) {
                        if (requestAt[0] == 0) {
                            requestAt[0] = System.nanoTime();
                        }
                    }
                } else {
                    long since;
                    synchronized (requestAt) {
                        since = requestAt[0];
                        requestAt[0] = 0;
                    }
                    long wait = delayMillis - (since == 0 ? delayMillis : (System.nanoTime() - since) / 1_000_000);
                    if (wait > 0) {
                        pause(wait);
                    }
                }
                w.write(buf, 0, n);
                w.flush();
            }
        } catch (IOException e) {
            // Closed by the other side.
        } finally {
            try {
                from.close();
                to.close();
            } catch (IOException ignored) {
                // Already closed.
            }
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // Closing anyway.
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException ignored) {
                // Closing anyway.
            }
        }
    }
}
