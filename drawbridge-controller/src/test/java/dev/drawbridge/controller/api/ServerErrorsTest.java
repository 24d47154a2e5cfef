package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Errors the HTTP server answers itself, before routing, are problem+json too, and reveal no internals. */
class ServerErrorsTest {
    @TempDir Path dir;

    private static String exchange(URI base, String head, byte[] body) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a) { }
            public void checkServerTrusted(X509Certificate[] c, String a) { }
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        }}, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(base.getHost(), base.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            try {
                out.write(body);
                out.flush();
            } catch (IOException e) {
                // the server may answer and close before reading a large body
            }
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    got.write(buf, 0, n);
                }
            } catch (IOException e) {
                // reset after the answer
            }
            return got.toString(StandardCharsets.UTF_8);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "a 5,000-character path|LONG_PATH|414",
        "percent-zz in the path|/v1/nodes/%zz|400",
        "a 20 KB header|BIG_HEADER|400,431",
        "a body over 16 MiB|BIG_BODY|413",
    })
    @DisplayName("server-level errors are problem+json naming the problem")
    void serverErrorsAreProblems(String why, String kind, String statuses) throws Exception {
        try (var c = RunningController.start(dir.resolve("data"))) {
            URI base = URI.create(c.controller.url());
            String path = kind.equals("LONG_PATH") ? "/v1/nodes/" + "a".repeat(5_000) : kind.startsWith("/") ? kind
                    : "/v1/nodes";
            String auth = "Authorization: Bearer " + c.token + "\r\n";
            String extra = kind.equals("BIG_HEADER") ? "X-Big: " + "b".repeat(20_000) + "\r\n" : "";
            byte[] body = kind.equals("BIG_BODY") ? new byte[17 << 20] : new byte[0];
            String method = kind.equals("BIG_BODY") ? "POST" : "GET";
            String head = method + " " + path + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\n" + auth + extra
                    + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
            String answer = exchange(base, head, body);
            String statusLine = answer.lines().findFirst().orElse("");
            assertThat(statusLine).as(why + ": " + answer).containsAnyOf(
                    Arrays.stream(statuses.split(",")).map(st -> " " + st + " ").toArray(String[]::new));
            assertThat(answer.toLowerCase(Locale.ROOT)).as(why).contains("content-type: application/problem+json");
            assertThat(answer).as(why).contains("\"detail\"").doesNotContain("Exception").doesNotContain("io.helidon");
        }
    }
}
