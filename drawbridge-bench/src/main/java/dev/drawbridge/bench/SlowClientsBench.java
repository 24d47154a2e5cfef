package dev.drawbridge.bench;

import dev.drawbridge.controller.Controller;
import dev.drawbridge.controller.config.ConfigLoader;
import dev.drawbridge.controller.config.ControllerConfig;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Slow and hostile clients against a real controller: the latency of a normal authenticated request (a new TLS
 * connection, GET /v1/nodes) with nobody else connected, then with IDLE connections that completed their handshake
 * and send nothing plus SLOW slowloris connections that send one header line every 5 s and never finish (each
 * connects again when the controller closes it), and at the end how many idle connections the controller still
 * holds, how many slowloris connections it closed and the longest one it let live. Prints one JSON line per phase.
 *
 * <p>Arguments: idle connections (500), slowloris connections (200), seconds per phase (30).
 */
public final class SlowClientsBench {
    private SlowClientsBench() {}

    public static void main(String[] args) throws Exception {
        int idle = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        int slow = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        Path dir = Files.createTempDirectory("slow-clients");
        ControllerConfig cfg = ConfigLoader.load(Map.of()).withDataDir(dir.toString())
                .withListen("127.0.0.1:0");
        try (Controller c = Controller.start(cfg, Clock.systemUTC())) {
            URI base = URI.create(c.url());
            String token = Files.readString(dir.resolve("admin.token")).strip();
            SSLContext tls = TrustingTls.of(Files.readString(dir.resolve("ca.pem")));
            report("quiet", normalRequests(tls, base, token, seconds), 0, 0, -1);
            List<SSLSocket> held = new ArrayList<>();
            for (int i = 0; i < idle; i++) {
                SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(base.getHost(), base.getPort());
                s.startHandshake();
                held.add(s);
            }
            AtomicInteger slowOpen = new AtomicInteger();
            AtomicInteger slowClosed = new AtomicInteger();
            AtomicLong slowLongest = new AtomicLong();
            List<Thread> loris = new ArrayList<>();
            for (int i = 0; i < slow; i++) {
                loris.add(Thread.ofVirtual().start(() -> slowloris(tls, base, slowOpen, slowClosed, slowLongest)));
            }
            Thread.sleep(2_000);
            long[] hostile = normalRequests(tls, base, token, seconds);
            report("hostile", hostile, idle, slow, slowOpen.get());
            int idleOpen = 0;
            for (SSLSocket s : held) {
                s.setSoTimeout(50);
                try {
                    if (s.getInputStream().read() >= 0) {
                        idleOpen++;
                    }
                } catch (SocketTimeoutException e) {
                    idleOpen++; // nothing to read and not closed: still held by the server
                } catch (IOException e) {
                    // reset: closed
                }
            }
            System.out.printf(Locale.ROOT, "{\"phase\":\"after\",\"seconds\":%d,\"idle_still_open\":%d,"
                    + "\"slowloris_open_now\":%d,\"slowloris_closed_by_server\":%d,\"slowloris_longest_ms\":%d}%n",
                    seconds + 2, idleOpen, slowOpen.get(), slowClosed.get(), slowLongest.get());
            loris.forEach(Thread::interrupt);
            for (SSLSocket s : held) {
                s.close();
            }
        }
    }

    /**
     * Sends one header line every 5 s and never ends the header; counts itself open until the server closes it, then
     * counts the closure and how long the connection lived, and connects again, as a persistent attacker would.
     */
    private static void slowloris(SSLContext tls, URI base, AtomicInteger open, AtomicInteger closures,
                                  AtomicLong longestMs) {
        while (!Thread.currentThread().isInterrupted()) {
            long opened = System.nanoTime();
            try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(base.getHost(), base.getPort())) {
                s.startHandshake();
                open.incrementAndGet();
                try {
                    OutputStream out = s.getOutputStream();
                    out.write("GET /v1/nodes HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    // Waits 5 s between header lines by reading, so a close by the server is seen at once.
                    s.setSoTimeout(5_000);
                    for (int i = 0; ; i++) {
                        try {
                            if (s.getInputStream().read() < 0) {
                                throw new EOFException("closed by the server");
                            }
                        } catch (SocketTimeoutException quiet) {
                            // the server said nothing for 5 s: send the next line
                        }
                        if (Thread.currentThread().isInterrupted()) {
                            throw new InterruptedException();
                        }
                        out.write(("X-Slow-" + i + ": a\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                } finally {
                    open.decrementAndGet();
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception closedByServer) {
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
                closures.incrementAndGet();
                longestMs.accumulateAndGet((System.nanoTime() - opened) / 1_000_000, Math::max);
            }
        }
    }

    /** One request every 100 ms for {@code seconds}, each on a new TLS connection; the latencies in microseconds. */
    private static long[] normalRequests(SSLContext tls, URI base, String token, int seconds) throws Exception {
        List<Long> out = new ArrayList<>();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(base.getHost(), base.getPort())) {
                s.setSoTimeout(30_000);
                OutputStream o = s.getOutputStream();
                o.write(("GET /v1/nodes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                o.flush();
                readAnswer(s.getInputStream());
            }
            out.add((System.nanoTime() - t0) / 1_000);
            Thread.sleep(100);
        }
        return out.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    /** Reads one 200 answer: the head up to the blank line, then Content-Length bytes of body. */
    private static void readAnswer(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the answer ended inside its head: " + head);
            }
            head.append((char) b);
        }
        String h = head.toString();
        if (!h.startsWith("HTTP/1.1 200")) {
            throw new IllegalStateException("unexpected answer " + h.lines().findFirst().orElse(""));
        }
        long length = h.lines().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("content-length:"))
                .mapToLong(l -> Long.parseLong(l.substring(15).strip())).findFirst().orElse(0);
        in.readNBytes((int) length);
    }

    private static void report(String phase, long[] us, int idle, int slow, int slowStillOpen) {
        System.out.printf(Locale.ROOT, "{\"phase\":\"%s\",\"idle\":%d,\"slowloris\":%d,\"requests\":%d,"
                        + "\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f,\"slowloris_still_open\":%d}%n",
                phase, idle, slow, us.length, us[us.length / 2] / 1000.0, us[(int) (us.length * 0.99)] / 1000.0,
                us[us.length - 1] / 1000.0, slowStillOpen);
    }
}
