package dev.drawbridge.controller.conductor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The conductor's own HTTPS/1.1 client: keep-alive, a safe resend after an idle close, bodies, timeouts. */
class AgentConnectionsTest {
    private SSLServerSocket server;
    private final AtomicInteger accepted = new AtomicInteger();
    private AgentConnections client;

    @AfterEach
    void stop() throws IOException {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** A TLS server whose connections answer each request with {@code answer(requestNumberOnConnection, out)}. */
    private String serve(BiConsumer<Integer, OutputStream> answer) throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("EC").generateKeyPair();
        Instant now = Instant.now();
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                new X500Name("CN=agent-test"), BigInteger.ONE, Date.from(now.minusSeconds(60)),
                Date.from(now.plusSeconds(3600)), new X500Name("CN=agent-test"), kp.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", kp.getPrivate(), new char[0], new Certificate[] {cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 50,
                InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    accepted.incrementAndGet();
                    Thread.ofVirtual().start(() -> handle(s, answer));
                } catch (IOException e) {
                    return;
                }
            }
        });
        SSLContext trustAll = SSLContext.getInstance("TLS");
        trustAll.init(null, new TrustManager[] {new X509TrustManager() {
            @Override public void checkClientTrusted(X509Certificate[] c, String a) { }
            @Override public void checkServerTrusted(X509Certificate[] c, String a) { }
            @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        }}, null);
        client = new AgentConnections(trustAll, Duration.ofMillis(1500), Duration.ofMillis(300), Duration.ofMillis(100));
        return "127.0.0.1:" + server.getLocalPort();
    }

    private static void handle(Socket s, BiConsumer<Integer, OutputStream> answer) {
        try (s) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            for (int n = 1; ; n++) {
                String line = in.readLine();
                if (line == null) {
                    return;
                }
                int length = 0;
                while (!(line = in.readLine()).isEmpty()) {
                    if (line.toLowerCase().startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(15).trim());
                    }
                }
                in.skip(length);
                answer.accept(n, s.getOutputStream());
            }
        } catch (IOException | RuntimeException e) {
            // The client went away, or the script closed the connection.
        }
    }

    private static void write(OutputStream out, String response) {
        try {
            out.write(response.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    @DisplayName("polls of one agent share one kept-alive connection, and the answer carries the TLS session")
    void keepAlive() throws Exception {
        String address = serve((n, out) -> write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + "Content-Length: 8\r\n\r\n{\"n\":" + n + "} "));
        for (int i = 1; i <= 3; i++) {
            var a = client.exchange(address, "GET", "/v1/status", Map.of(), new byte[0]);
            assertThat(a.status()).isEqualTo(200);
            assertThat(new String(a.body(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":" + i + "} ");
            assertThat(((X509Certificate) a.session().getPeerCertificates()[0]).getSubjectX500Principal().getName())
                    .isEqualTo("CN=agent-test");
        }
        assertThat(accepted).hasValue(1);
    }

    @Test
    @DisplayName("a connection left idle past the limit is closed by the next request to any agent")
    void idleConnectionsAreSwept() throws Exception {
        String first = serve((n, out) -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"));
        client.exchange(first, "GET", "/v1/status", Map.of(), new byte[0]);
        assertThat(client.idleConnections()).isEqualTo(1);
        Thread.sleep(500);
        // Same server, other address form: a different agent as far as the pool is concerned.
        client.exchange("localhost:" + server.getLocalPort(), "GET", "/v1/status", Map.of(), new byte[0]);
        assertThat(client.idleConnections()).as("the old one swept, the new one kept").isEqualTo(1);
    }

    @Test
    @DisplayName("a connection the agent closed while idle is replaced and the request sent once on the new one")
    void idleCloseIsRetriedOnce() throws Exception {
        AtomicInteger answered = new AtomicInteger();
        String address = serve((n, out) -> {
            answered.incrementAndGet();
            write(out, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}");
            throw new RuntimeException("close after one answer, without saying so");
        });
        assertThat(client.exchange(address, "POST", "/v1/commands", Map.of("Content-Type", "application/json"),
                "{}".getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(201);
        Thread.sleep(200);
        assertThat(client.exchange(address, "POST", "/v1/commands", Map.of("Content-Type", "application/json"),
                "{}".getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(201);
        assertThat(accepted).hasValue(2);
        assertThat(answered).as("each request reached the agent once").hasValue(2);
    }

    @Test
    @DisplayName("chunked and Connection: close answers are read whole")
    void bodies() throws Exception {
        String address = serve((n, out) -> write(out, n == 1
                ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n"
                : "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 7\r\n\r\n{\"b\":2}"));
        assertThat(new String(client.exchange(address, "GET", "/x", Map.of(), new byte[0]).body(),
                StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}");
        assertThat(new String(client.exchange(address, "GET", "/x", Map.of(), new byte[0]).body(),
                StandardCharsets.UTF_8)).isEqualTo("{\"b\":2}");
        // The second answer said Connection: close, so a third request needs a new connection.
        client.exchange(address, "GET", "/x", Map.of(), new byte[0]);
        assertThat(accepted).hasValue(2);
    }

    @Test
    @DisplayName("an agent that never answers is a timeout, not a hang")
    void silentAgentTimesOut() throws Exception {
        String address = serve((n, out) -> {
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThatThrownBy(() -> client.exchange(address, "GET", "/v1/status", Map.of(), new byte[0]))
                .isInstanceOf(SocketTimeoutException.class);
    }
}
