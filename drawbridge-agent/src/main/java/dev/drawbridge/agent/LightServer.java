package dev.drawbridge.agent;

import dev.drawbridge.protocol.HttpLines;
import dev.drawbridge.protocol.Wire;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;

/**
 * A small HTTPS/1.1 server for {@link AgentApi}, for fleets of simulated agents in one JVM: one virtual thread
 * accepting, one virtual thread per connection, JDK TLS over a plain socket, keep-alive, Content-Length bodies
 * only. A Helidon listener costs a few platform threads and about a megabyte; ten thousand of them do not fit on a
 * small machine, ten thousand of these do. The real agent keeps Helidon; both serve the same {@link AgentApi}.
 *
 * <p>Requests are parsed strictly: a request line of METHOD, an origin-form target and HTTP/1.x; at most
 * {@value #MAX_HEADERS} headers in {@value #MAX_LINE} bytes each; a body only by Content-Length (chunked is a
 * 411) and at most the agent's body limit (a 413). Each of those is answered with problem+json and the
 * connection is closed.
 */
final class LightServer implements AutoCloseable {
    private static final int MAX_LINE = 8192;
    private static final int MAX_HEADERS = 64;
    /** An idle keep-alive connection is closed after this long; the controller polls far more often. */
    private static final int IDLE_MILLIS = 120_000;
    private final ServerSocket listener;
    private final SSLContext tls;
    private final AgentApi api;
    private final Faults faults;
    private final long maxBody;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private LightServer(ServerSocket listener, SSLContext tls, AgentApi api, Faults faults, long maxBody) {
        this.listener = listener;
        this.tls = tls;
        this.api = api;
        this.faults = faults;
        this.maxBody = maxBody;
    }

    static LightServer start(String host, int port, SSLContext tls, AgentApi api, Faults faults, long maxBody) {
        try {
            ServerSocket s = new ServerSocket();
            s.bind(new InetSocketAddress(host, port), 512);
            LightServer server = new LightServer(s, tls, api, faults, maxBody);
            Thread.ofVirtual().name("agent-accept-" + host).start(server::accept);
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    int port() {
        return listener.getLocalPort();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket raw = listener.accept();
                Thread.ofVirtual().start(() -> serve(raw));
            } catch (IOException e) {
                if (!closed) {
                    pause(50);
                }
            }
        }
    }

    private void serve(Socket raw) {
        open.add(raw);
        try (raw) {
            holdWhileSilent();
            raw.setTcpNoDelay(true);
            raw.setSoTimeout(IDLE_MILLIS);
            try (SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(raw, null, true)) {
                ssl.setUseClientMode(false);
                ssl.setWantClientAuth(true);
                ssl.setEnabledProtocols(TlsIdentity.PROTOCOLS.toArray(String[]::new));
                InputStream in = new BufferedInputStream(ssl.getInputStream(), 4096);
                OutputStream out = new BufferedOutputStream(ssl.getOutputStream(), 4096);
                boolean again = true;
                while (again && !closed) {
                    again = exchange(ssl, in, out);
                }
            }
        } catch (SocketTimeoutException e) {
            // Idle keep-alive connection: closed, the client opens another when it needs one.
        } catch (IOException e) {
            // Handshake refused, or the client went away.
        } finally {
            open.remove(raw);
        }
    }

    /** Reads one request and answers it; false when the connection should close. */
    private boolean exchange(SSLSocket ssl, InputStream in, OutputStream out) throws IOException {
        String requestLine = line(in, true);
        if (requestLine == null) {
            return false;
        }
        String[] parts = requestLine.split(" ", -1);
        if (parts.length != 3 || !parts[2].startsWith("HTTP/1.") || !parts[1].startsWith("/")
                || !parts[0].chars().allMatch(c -> c >= 'A' && c <= 'Z') || parts[0].isEmpty()) {
            return refuse(out, "/", new ApiProblem(400, "bad-request", "Bad request",
                    "expected a request line like GET /v1/status HTTP/1.1"));
        }
        String method = parts[0];
        String target = parts[1];
        int query = target.indexOf('?');
        String path = query < 0 ? target : target.substring(0, query);
        Optional<String> contentType = Optional.empty();
        Optional<String> prefer = Optional.empty();
        Optional<String> authorization = Optional.empty();
        Optional<String> epoch = Optional.empty();
        long length = 0;
        boolean keepAlive = parts[2].equals("HTTP/1.1");
        for (int n = 0; ; n++) {
            String h = line(in, false);
            if (h == null) {
                return false;
            }
            if (h.isEmpty()) {
                break;
            }
            int colon = h.indexOf(':');
            if (n >= MAX_HEADERS || colon <= 0) {
                return refuse(out, path, new ApiProblem(400, "bad-request", "Bad request",
                        n >= MAX_HEADERS ? "more than " + MAX_HEADERS + " headers" : "a header line without a name"));
            }
            String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).trim();
            switch (name) {
                case "content-type" -> contentType = Optional.of(value);
                case "authorization" -> authorization = Optional.of(value);
                case "drawbridge-epoch" -> epoch = Optional.of(value);
                case "prefer" -> prefer = Optional.of(prefer.map(p -> p + ", ").orElse("") + value);
                case "connection" -> keepAlive = keepAlive ? !value.equalsIgnoreCase("close")
                        : value.equalsIgnoreCase("keep-alive");
                case "transfer-encoding" -> {
                    return refuse(out, path, new ApiProblem(411, "length-required", "Length required",
                            "send the body with a Content-Length, not " + CommandParser.abbreviate(value)));
                }
                case "content-length" -> {
                    try {
                        length = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        length = -1;
                    }
                    if (length < 0) {
                        return refuse(out, path, new ApiProblem(400, "bad-request", "Bad request",
                                "Content-Length is not a number"));
                    }
                }
                default -> { }
            }
        }
        if (length > maxBody) {
            return refuse(out, path, new ApiProblem(413, "too-large", "Request body too large",
                    "the agent takes at most " + maxBody + " bytes"));
        }
        byte[] body = in.readNBytes((int) length);
        if (body.length != length) {
            return false;
        }
        AgentApi.Response answer = api.handle(new AgentApi.Request(method, path, contentType, prefer, authorization, body,
                peer(ssl), epoch));
        if (faults.losing() && method.equals("POST") && path.equals("/v1/commands")
                && faults.takeLoss(commandName(body))) {
            return false; // carried out, answer lost: the connection closes unanswered
        }
        holdWhileSilent();
        long delay = faults.delayMillis();
        if (delay > 0) {
            pause(delay);
        }
        write(out, answer, keepAlive);
        faults.answered();
        return keepAlive;
    }

    private static String commandName(byte[] body) {
        try {
            return Wire.JSON.readTree(body).path("name").asText("");
        } catch (IOException e) {
            return "";
        }
    }

    private boolean refuse(OutputStream out, String path, ApiProblem p) throws IOException {
        write(out, AgentApi.problem(path, p), false);
        return false;
    }

    private static void write(OutputStream out, AgentApi.Response r, boolean keepAlive) throws IOException {
        StringBuilder head = new StringBuilder(160).append("HTTP/1.1 ").append(r.status()).append(' ')
                .append(reason(r.status())).append("\r\nContent-Type: ").append(r.contentType())
                .append("\r\nContent-Length: ").append(r.body().length).append("\r\n");
        r.location().ifPresent(l -> head.append("Location: ").append(l).append("\r\n"));
        if (!keepAlive) {
            head.append("Connection: close\r\n");
        }
        out.write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        out.write(r.body());
        out.flush();
    }

    private static String line(InputStream in, boolean first) throws IOException {
        return HttpLines.read(in, MAX_LINE, first);
    }

    private static List<Certificate> peer(SSLSocket ssl) {
        try {
            return Arrays.asList(ssl.getSession().getPeerCertificates());
        } catch (SSLPeerUnverifiedException e) {
            return List.of();
        }
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 201 -> "Created";
            case 202 -> "Accepted";
            case 400 -> "Bad Request";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 409 -> "Conflict";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 415 -> "Unsupported Media Type";
            case 500 -> "Internal Server Error";
            default -> "Status";
        };
    }

    private void holdWhileSilent() {
        while (faults.silent() && !closed && !Thread.currentThread().isInterrupted()) {
            pause(100);
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
