package dev.drawbridge.controller.conductor;

import dev.drawbridge.protocol.HttpLines;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Keep-alive HTTPS/1.1 connections from the conductor to agents: at most one idle connection per agent address,
 * taken by the poll that needs it and given back after, with blocking I/O on the poll's virtual thread. The JDK's
 * HttpClient costs too much per request at ten thousand agents: a reflective filter chain built for every request
 * and a connection pool whose expiry list is searched linearly on every checkout (both measured with JFR).
 *
 * <p>Only what the agent API needs: GET and POST with Content-Length bodies; answers with Content-Length, chunked
 * or read-to-close bodies of at most {@link #MAX_BODY} bytes. A reused connection that the agent closed while idle
 * fails before any answer byte; that request is sent once more on a fresh connection (the agent never saw it).
 */
final class AgentConnections implements AutoCloseable {
    static final int MAX_BODY = 1 << 20;
    private static final Duration IDLE = Duration.ofSeconds(30);
    private static final Duration SWEEP = Duration.ofSeconds(5);
    private final long idleNanos;
    private final long sweepNanos;
    private static final int MAX_LINE = 8192;
    private final SSLSocketFactory factory;
    private final int timeoutMillis;
    private final Map<String, Connection> idle = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private final AtomicLong lastSweep = new AtomicLong(System.nanoTime());

    /** One answer, with the TLS session it came over (its peer certificates say which agent answered). */
    record Answer(int status, byte[] body, SSLSession session) {
    }

    AgentConnections(SSLContext tls, Duration timeout) {
        this(tls, timeout, IDLE, SWEEP);
    }

    /** With the idle limit of a kept connection and how often idle ones are looked for (tests shorten both). */
    AgentConnections(SSLContext tls, Duration timeout, Duration idleLimit,
                     Duration sweepEvery) {
        this.factory = tls.getSocketFactory();
        this.timeoutMillis = (int) Math.max(1, timeout.toMillis());
        this.idleNanos = idleLimit.toNanos();
        this.sweepNanos = sweepEvery.toNanos();
    }

    /** Sends one request to {@code address} ({@code host:port}, IPv6 in brackets) and reads its answer. */
    Answer exchange(String address, String method, String path, Map<String, String> headers, byte[] body)
            throws IOException {
        sweep();
        Connection c = idle.remove(address);
        if (c != null && (System.nanoTime() - c.idleSince > idleNanos || c.socket.isClosed()
                || System.currentTimeMillis() >= c.validUntil)) {
            c.close();
            c = null;
        }
        if (c != null) {
            try {
                return finish(address, c, c.exchange(method, path, headers, body));
            } catch (Stale e) {
                c.close(); // closed by the agent while idle: it never saw the request
            } catch (IOException | RuntimeException e) {
                c.close();
                throw e;
            }
        }
        c = open(address);
        try {
            return finish(address, c, c.exchange(method, path, headers, body));
        } catch (Stale e) {
            c.close();
            throw new IOException("the agent closed the connection without answering");
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * Closes connections idle for longer than the idle limit, at most every few seconds: an agent no longer polled
     * in this mode (the pre-enrollment connection of a node now enrolled) must not hold a socket on both ends.
     */
    private void sweep() {
        long now = System.nanoTime();
        long last = lastSweep.get();
        if (now - last < sweepNanos || !lastSweep.compareAndSet(last, now)) {
            return;
        }
        for (var e : idle.entrySet()) {
            if (now - e.getValue().idleSince > idleNanos && idle.remove(e.getKey(), e.getValue())) {
                e.getValue().close();
            }
        }
    }

    /**
     * When the first certificate of a session expires, ours or the agent's, in epoch milliseconds: a connection must
     * not outlive the certificates it was opened with (either may have been renewed since), so it is not reused after.
     */
    private static long validUntil(SSLSession s) {
        long until = Long.MAX_VALUE;
        Certificate[] peer;
        try {
            peer = s.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            peer = null;
        }
        for (Certificate[] side : new Certificate[][] {s.getLocalCertificates(),
                peer}) {
            if (side != null && side.length > 0 && side[0] instanceof X509Certificate x) {
                until = Math.min(until, x.getNotAfter().getTime());
            }
        }
        return until;
    }

    /** Closes the kept connection to {@code address}, if any: the next request makes a new handshake. */
    void drop(String address) {
        Connection c = idle.remove(address);
        if (c != null) {
            c.close();
        }
    }

    int idleConnections() {
        return idle.size();
    }

    private Answer finish(String address, Connection c, Exchanged x) {
        if (x.keepAlive() && !closed) {
            c.idleSince = System.nanoTime();
            Connection other = idle.putIfAbsent(address, c);
            if (other != null) {
                c.close();
            }
        } else {
            c.close();
        }
        return x.answer();
    }

    private Connection open(String address) throws IOException {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new IOException("agent address " + address + " is not host:port");
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IOException("agent address " + address + " has no port number");
        }
        Socket raw = new Socket();
        try {
            raw.connect(new InetSocketAddress(host, port), timeoutMillis);
            raw.setSoTimeout(timeoutMillis);
            raw.setTcpNoDelay(true);
            SSLSocket ssl = (SSLSocket) factory.createSocket(raw, host, port, true);
            ssl.startHandshake();
            return new Connection(ssl, address);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    @Override
    public void close() {
        closed = true;
        idle.values().forEach(Connection::close);
        idle.clear();
    }

    /** A reused connection found closed before any answer byte: safe to send again on a new one. */
    private static final class Stale extends IOException {
        Stale() {
            super("connection closed while idle", null);
        }
    }

    private record Exchanged(Answer answer, boolean keepAlive) {
    }

    private static final class Connection {
        final SSLSocket socket;
        final String host;
        final InputStream in;
        final OutputStream out;
        volatile long idleSince;
        /** See {@link AgentConnections#validUntil}; read once, after the handshake. */
        final long validUntil;

        Connection(SSLSocket socket, String host) throws IOException {
            this.socket = socket;
            this.host = host;
            this.validUntil = validUntil(socket.getSession());
            this.in = new BufferedInputStream(socket.getInputStream(), 2048);
            this.out = socket.getOutputStream();
        }

        Exchanged exchange(String method, String path, Map<String, String> headers, byte[] body) throws IOException {
            StringBuilder head = new StringBuilder(256).append(method).append(' ').append(path)
                    .append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            if (body.length > 0 || method.equals("POST")) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            byte[] start = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
            try {
                out.write(start);
                out.write(body);
                out.flush();
            } catch (SocketTimeoutException e) {
                throw e;
            } catch (IOException e) {
                throw new Stale();
            }
            String status;
            try {
                status = line(in, true);
            } catch (SocketTimeoutException e) {
                throw e;
            } catch (IOException e) {
                throw new Stale(); // reset before any answer byte
            }
            if (status == null) {
                throw new Stale();
            }
            String[] parts = status.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("the agent answered something that is not HTTP/1.x");
            }
            int code;
            try {
                code = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("the agent answered a status that is not a number");
            }
            long length = -1;
            boolean chunked = false;
            boolean keepAlive = parts[0].equals("HTTP/1.1");
            for (int n = 0; ; n++) {
                String h = line(in, false);
                if (h.isEmpty()) {
                    break;
                }
                if (n > 100) {
                    throw new IOException("the agent answered more than 100 headers");
                }
                int colon = h.indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = h.substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> {
                        try {
                            length = Long.parseLong(value);
                        } catch (NumberFormatException e) {
                            throw new IOException("the agent answered a Content-Length that is not a number");
                        }
                    }
                    case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                    case "connection" -> keepAlive = keepAlive ? !value.equalsIgnoreCase("close")
                            : value.equalsIgnoreCase("keep-alive");
                    default -> { }
                }
            }
            byte[] payload;
            if (method.equals("HEAD") || code == 204 || code == 304 || code / 100 == 1) {
                payload = new byte[0];
            } else if (chunked) {
                payload = chunked(in);
            } else if (length >= 0) {
                if (length > MAX_BODY) {
                    throw new IOException("the agent's answer is larger than " + MAX_BODY + " bytes");
                }
                payload = in.readNBytes((int) length);
                if (payload.length != length) {
                    throw new EOFException("the agent closed the connection mid-answer");
                }
            } else {
                payload = untilClose(in);
                keepAlive = false;
            }
            return new Exchanged(new Answer(code, payload, socket.getSession()), keepAlive);
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing anyway.
            }
        }
    }

    private static byte[] chunked(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String size = line(in, false);
            int semi = size.indexOf(';');
            int n;
            try {
                n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            } catch (NumberFormatException e) {
                throw new IOException("the agent answered a bad chunk size");
            }
            if (n == 0) {
                while (!line(in, false).isEmpty()) {
                    // Trailers: not used.
                }
                return out.toByteArray();
            }
            if (out.size() + n > MAX_BODY) {
                throw new IOException("the agent's answer is larger than " + MAX_BODY + " bytes");
            }
            byte[] chunk = in.readNBytes(n);
            if (chunk.length != n) {
                throw new EOFException("the agent closed the connection mid-answer");
            }
            out.write(chunk);
            line(in, false);
        }
    }

    private static byte[] untilClose(InputStream in) throws IOException {
        byte[] b = in.readNBytes(MAX_BODY + 1);
        if (b.length > MAX_BODY) {
            throw new IOException("the agent's answer is larger than " + MAX_BODY + " bytes");
        }
        return b;
    }

    private static String line(InputStream in, boolean first) throws IOException {
        return HttpLines.read(in, MAX_LINE, first);
    }
}
