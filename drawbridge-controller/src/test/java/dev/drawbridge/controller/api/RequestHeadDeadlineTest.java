package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slowloris: a client that sends one header line at a time and never finishes its request head is cut off at
 * {@code api.request-head-timeout}, while a client that is merely slow, or idle between requests, is not.
 */
class RequestHeadDeadlineTest {
    private static final Duration HEAD_TIMEOUT = Duration.ofSeconds(2);

    @TempDir Path dir;

    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(4);

    private RunningController start() throws Exception {
        return RunningController.start(dir.resolve("data"),
                c -> c.withApi(c.api().withRequestHeadTimeout(HEAD_TIMEOUT).withIdleConnectionTimeout(IDLE_TIMEOUT)));
    }

    /** Milliseconds until the server closes {@code s}, reading whatever it sends meanwhile. */
    private static long millisUntilClosed(SSLSocket s, long since) {
        try {
            while (s.getInputStream().read() >= 0) {
                // drain
            }
        } catch (IOException closed) {
            // a reset counts as closed too
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
    }

    @Test
    @DisplayName("a connection that never sends a request is closed at the idle timeout")
    void idleConnectionIsClosed() throws Exception {
        try (var c = start(); SSLSocket idle = connect(c)) {
            long ms = millisUntilClosed(idle, System.nanoTime());
            // Helidon measures idle time on its own clock, which ticks once a second, and checks every 2 s.
            assertThat(ms).as("closed about the 4 s idle timeout, not before it is near")
                    .isGreaterThanOrEqualTo(IDLE_TIMEOUT.toMillis() - 1_500).isLessThan(15_000);
        }
    }

    private static SSLSocket connect(RunningController c) throws Exception {
        var root = CertificateFactory.getInstance("X.509").generateCertificate(
                Files.newInputStream(c.dataDir.resolve("ca.pem")));
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("root", root);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        URI u = URI.create(c.controller.url());
        SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(u.getHost(), u.getPort());
        s.setSoTimeout(20_000);
        s.startHandshake();
        return s;
    }

    /** Reads one HTTP/1.1 response (status line, headers, Content-Length body) and returns its status code. */
    private static int readResponse(InputStream in) throws IOException {
        String status = line(in);
        int length = 0;
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            if (h.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(h.substring(15).strip());
            }
        }
        in.readNBytes(length);
        return Integer.parseInt(status.split(" ")[1]);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int ch = in.read(); ch != '\n'; ch = in.read()) {
            if (ch < 0) {
                throw new IOException("connection closed");
            }
            if (ch != '\r') {
                b.write(ch);
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    private static void send(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Test
    @DisplayName("a slowloris connection is closed at the head deadline and counted; a normal request is answered meanwhile")
    void slowlorisIsCutOff() throws Exception {
        try (var c = start(); SSLSocket slow = connect(c)) {
            OutputStream out = slow.getOutputStream();
            send(out, "GET /v1/nodes HTTP/1.1\r\nHost: drawbridge\r\n");
            long started = System.nanoTime();
            CompletableFuture<Long> closedAfter = CompletableFuture.supplyAsync(() -> millisUntilClosed(slow, started));
            for (int i = 0; i < 40 && !closedAfter.isDone(); i++) {
                try {
                    send(out, "X-Slow-" + i + ": one line at a time\r\n");
                } catch (IOException closed) {
                    break;
                }
                if (i == 2) {
                    assertThat(c.get("/v1/nodes").status()).as("a normal request beside the slow one").isEqualTo(200);
                }
                Thread.sleep(250);
            }
            long ms = closedAfter.get(20, TimeUnit.SECONDS);
            assertThat(ms).as("closed after the 2 s head deadline, not long after it")
                    .isGreaterThanOrEqualTo(HEAD_TIMEOUT.toMillis() - 100).isLessThan(IDLE_TIMEOUT.toMillis());
            assertThat(c.get("/metrics").text()).contains("drawbridge_http_request_head_timeouts_total 1.0");
            assertThat(c.controller.apiServer().readingHeads()).isZero();
        }
    }

    @Test
    @DisplayName("a head sent slowly but within the deadline is answered, and idle time between requests is not head time")
    void slowButHonestClientsAreServed() throws Exception {
        try (var c = start(); SSLSocket s = connect(c)) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            send(out, "GET /healthz HTTP/1.1\r\n");
            Thread.sleep(500);
            send(out, "Host: drawbridge\r\n");
            Thread.sleep(500);
            send(out, "\r\n");
            assertThat(readResponse(in)).isEqualTo(200);
            Thread.sleep(HEAD_TIMEOUT.toMillis() + 1_000);
            send(out, "GET /healthz HTTP/1.1\r\nHost: drawbridge\r\n\r\n");
            assertThat(readResponse(in)).as("the kept-alive connection still works after an idle pause").isEqualTo(200);
            assertThat(c.get("/metrics").text()).contains("drawbridge_http_request_head_timeouts_total 0.0");
        }
    }
}
