package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.drawbridge.testkit.OpenSsl;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's client against a controller whose store is briefly away: 503 {@code store-unavailable} means nothing
 * was written, so the client sends the same request again after the Retry-After it names, a bounded number of times;
 * any other error is reported at once.
 */
class ApiClientRetryTest {
    @TempDir Path dir;

    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private volatile int unavailableFor;
    private volatile String type = "store-unavailable";

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/nodes", this::answer);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void answer(HttpExchange ex) throws IOException {
        ex.getRequestBody().readAllBytes();
        int n = requests.incrementAndGet();
        byte[] body;
        int status;
        if (n <= unavailableFor) {
            status = 503;
            ex.getResponseHeaders().add("Retry-After", "0");
            ex.getResponseHeaders().add("Content-Type", "application/problem+json");
            body = ("{\"type\":\"https://drawbridge.dev/problems/" + type + "\",\"title\":\"Unavailable\","
                    + "\"status\":503,\"detail\":\"nothing was written\"}").getBytes(StandardCharsets.UTF_8);
        } else {
            status = 201;
            ex.getResponseHeaders().add("Content-Type", "application/json");
            body = "{\"name\":\"r-1\"}".getBytes(StandardCharsets.UTF_8);
        }
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
        ex.close();
    }

    private ApiClient client() {
        OpenSsl.runOk(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", "/CN=retry-test", "-days", "1", "-keyout", "key.pem", "-out", "ca.pem");
        try {
            return new ApiClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), "t",
                    Files.readString(dir.resolve("ca.pem")));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @DisplayName("a POST answered 503 store-unavailable twice is sent again and succeeds the third time")
    void retriesWhileTheStoreIsAway() {
        unavailableFor = 2;
        assertThat(client().post("/v1/nodes", Map.of("name", "r-1")).path("name").asText()).isEqualTo("r-1");
        assertThat(requests.get()).isEqualTo(3);
    }

    @Test
    @DisplayName("the retries are bounded: a store away for longer is reported, after 1 + 5 attempts")
    void givesUp() {
        unavailableFor = 100;
        assertThatThrownBy(() -> client().post("/v1/nodes", Map.of("name", "r-1")))
                .hasMessageContaining("nothing was written");
        assertThat(requests.get()).isEqualTo(1 + ApiClient.STORE_RETRIES);
    }

    @Test
    @DisplayName("another 503 (not the store) is not sent again")
    void otherUnavailableIsNotRetried() {
        unavailableFor = 1;
        type = "media-unavailable";
        assertThatThrownBy(() -> client().post("/v1/nodes", Map.of("name", "r-1")))
                .hasMessageContaining("Unavailable");
        assertThat(requests.get()).isEqualTo(1);
    }
}
