package dev.drawbridge.bench;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One keep-alive HTTP/1.1 connection (RFC 9112), written by hand so the benchmark controls exactly how many
 * connections exist: one per client, never a pool. Reads Content-Length and chunked bodies.
 */
final class Connection implements AutoCloseable {
    private static final byte[] CERTIFICATE_MARK = "BEGIN CERTIFICATE".getBytes(StandardCharsets.US_ASCII);
    private static final int TIMEOUT_MS = 30_000;

    /** One answer: its status, whether the body held a certificate, a short body excerpt for errors. */
    record Answer(int status, boolean hasCertificate, boolean closes, String excerpt) {}

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private byte[] body = new byte[8192];
    private final StringBuilder line = new StringBuilder(128);

    private Connection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 16384);
        this.out = socket.getOutputStream();
    }

    static Connection open(LoadTarget target) throws IOException {
        Socket s;
        if (target.tls()) {
            SSLSocket ssl = (SSLSocket) target.sslContext().getSocketFactory().createSocket();
            SSLParameters p = ssl.getSSLParameters();
            if (target.verifyHost()) {
                p.setEndpointIdentificationAlgorithm("HTTPS");
            }
            ssl.setSSLParameters(p);
            s = ssl;
        } else {
            s = new Socket();
        }
        s.setTcpNoDelay(true);
        s.setSoTimeout(TIMEOUT_MS);
        s.connect(new InetSocketAddress(target.host(), target.port()), TIMEOUT_MS);
        if (s instanceof SSLSocket ssl) {
            ssl.startHandshake();
        }
        return new Connection(s);
    }

    /** "TLSv1.3 TLS_AES_128_GCM_SHA256", or "plain". */
    String protocol() {
        return socket instanceof SSLSocket ssl
                ? ssl.getSession().getProtocol() + " " + ssl.getSession().getCipherSuite() : "plain";
    }

    Answer exchange(byte[] request) throws IOException {
        out.write(request);
        out.flush();
        String status = readLine();
        if (!status.startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP/1.x status line: " + status);
        }
        int code = Integer.parseInt(status.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        boolean closes = status.startsWith("HTTP/1.0");
        for (String h = readLine(); !h.isEmpty(); h = readLine()) {
            int colon = h.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = h.substring(0, colon).trim();
            String value = h.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                length = Long.parseLong(value);
            } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
            } else if (name.equalsIgnoreCase("Connection")) {
                closes = value.equalsIgnoreCase("close");
            }
        }
        int n;
        if (chunked) {
            n = readChunked();
        } else if (length >= 0) {
            n = (int) length;
            ensure(n);
            readFully(0, n);
        } else {
            throw new IOException("answer without Content-Length or chunked encoding");
        }
        boolean cert = indexOf(body, n, CERTIFICATE_MARK) >= 0;
        String excerpt = code / 100 == 2 && cert ? "" : new String(body, 0, Math.min(n, 300), StandardCharsets.UTF_8);
        return new Answer(code, cert, closes, excerpt);
    }

    private int readChunked() throws IOException {
        int n = 0;
        while (true) {
            String sizeLine = readLine();
            int semi = sizeLine.indexOf(';');
            int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
            if (size == 0) {
                while (!readLine().isEmpty()) {
                    // trailer fields are ignored
                }
                return n;
            }
            ensure(n + size);
            readFully(n, size);
            n += size;
            readLine();
        }
    }

    private void ensure(int size) {
        if (body.length < size) {
            body = Arrays.copyOf(body, Math.max(size, body.length * 2));
        }
    }

    private void readFully(int offset, int n) throws IOException {
        int done = 0;
        while (done < n) {
            int r = in.read(body, offset + done, n - done);
            if (r < 0) {
                throw new EOFException("connection closed mid-body");
            }
            done += r;
        }
    }

    private String readLine() throws IOException {
        line.setLength(0);
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("connection closed by the server");
            }
            if (c == '\n') {
                int len = line.length();
                if (len > 0 && line.charAt(len - 1) == '\r') {
                    line.setLength(len - 1);
                }
                return line.toString();
            }
            line.append((char) c);
        }
    }

    private static int indexOf(byte[] hay, int n, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= n; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing is best effort at the end of a run
        }
    }
}
