package dev.drawbridge.bench;

import java.io.IOException;
import java.util.Arrays;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;

/**
 * One closed-loop client on its own connection: sends the next pre-built request as soon as the previous
 * answer arrives. Only exchanges that start and end inside the measurement window are counted.
 */
final class Client implements Runnable {
    /** The shared clock of a run: the window is fixed before the clients start, so no client races it. */
    static final class Window {
        final long start;
        final long end;
        volatile boolean stop;

        Window(long start, long end) {
            this.start = start;
            this.end = end;
        }
    }

    private final int id;
    private final int stride;
    private final LoadTarget target;
    private final byte[][] requests;
    private Window window; // set by the coordinator before it opens the go latch, which publishes it
    private final CountDownLatch ready;
    private final CountDownLatch go;

    long[] latencies = new long[4096];
    int ok;
    int non2xx;
    int errors;
    int outsideProblems;
    int connects;
    final TreeMap<Integer, Integer> statuses = new TreeMap<>();
    String firstProblem = "";
    String protocol = "";
    private Connection conn;

    Client(int id, int stride, LoadTarget target, byte[][] requests, CountDownLatch ready, CountDownLatch go) {
        this.id = id;
        this.stride = stride;
        this.target = target;
        this.requests = requests;
        this.ready = ready;
        this.go = go;
    }

    void window(Window w) {
        this.window = w;
    }

    @Override
    public void run() {
        try {
            connect();
            protocol = conn.protocol();
        } catch (IOException e) {
            errors++;
            firstProblem = "connect: " + e;
        } finally {
            ready.countDown();
        }
        try {
            go.await();
        } catch (InterruptedException e) {
            return;
        }
        long k = id;
        while (!window.stop) {
            if (conn == null && !reconnect()) {
                continue;
            }
            byte[] request = requests[(int) (k % requests.length)];
            k += stride;
            long t0 = System.nanoTime();
            try {
                Connection.Answer a = conn.exchange(request);
                long t1 = System.nanoTime();
                boolean inside = t0 >= window.start && t1 <= window.end;
                boolean good = a.status() / 100 == 2 && a.hasCertificate();
                if (inside) {
                    statuses.merge(a.status(), 1, Integer::sum);
                    if (good) {
                        record(t1 - t0);
                    } else {
                        non2xx++;
                    }
                }
                if (!good) {
                    problem(inside, "HTTP " + a.status() + (a.status() / 100 == 2 ? " without a certificate" : "")
                            + ": " + a.excerpt());
                }
                if (a.closes()) {
                    dropConnection();
                }
            } catch (IOException | RuntimeException e) {
                long t1 = System.nanoTime();
                if (!window.stop) {
                    boolean inside = t0 >= window.start && t1 <= window.end;
                    if (inside) {
                        errors++;
                    }
                    problem(inside, e.toString());
                }
                dropConnection();
            }
        }
        if (conn != null) {
            conn.close();
        }
    }

    private void record(long nanos) {
        if (ok == latencies.length) {
            latencies = Arrays.copyOf(latencies, ok * 2);
        }
        latencies[ok++] = nanos;
    }

    private void problem(boolean inside, String what) {
        if (!inside) {
            outsideProblems++;
        }
        if (firstProblem.isEmpty()) {
            firstProblem = what.replaceAll("\\s+", " ");
        }
    }

    private void connect() throws IOException {
        conn = Connection.open(target);
        connects++;
    }

    private boolean reconnect() {
        try {
            connect();
            return true;
        } catch (IOException e) {
            long now = System.nanoTime();
            boolean inside = now >= window.start && now <= window.end;
            if (inside) {
                errors++;
            }
            problem(inside, "connect: " + e);
            try {
                Thread.sleep(50);
            } catch (InterruptedException ie) {
                window.stop = true;
            }
            return false;
        }
    }

    private void dropConnection() {
        if (conn != null) {
            conn.close();
            conn = null;
        }
    }
}
