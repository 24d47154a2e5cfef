package dev.drawbridge.controller.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Redfish driver against a small HTTPS fake of the two endpoints it uses, with a self-signed
 * certificate from keytool that only the driver under test is told to trust.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class RedfishDriverTest {
    private static final String USER = "root";
    private static final String PASSWORD = "calvin-7f3a";
    private static final String SYSTEM = "/redfish/v1/Systems/System.Embedded.1";

    @TempDir
    static Path dir;
    private static HttpsServer server;
    private static SSLContext trust;
    private static volatile String powerState = "On";

    @BeforeAll
    static void start() throws Exception {
        Path keystore = dir.resolve("bmc.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-alias", "bmc", "-dname", "CN=bmc",
                "-ext", "san=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", "changeit").redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(keytool.waitFor(30, TimeUnit.SECONDS) && keytool.exitValue() == 0).as(output).isTrue();
        KeyStore keys = KeyStore.getInstance(keystore.toFile(), "changeit".toCharArray());

        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, "changeit".toCharArray());
        SSLContext serverTls = SSLContext.getInstance("TLS");
        serverTls.init(keyManagers.getKeyManagers(), null, null);
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(keys);
        trust = SSLContext.getInstance("TLS");
        trust.init(null, trustManagers.getTrustManagers(), null);

        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverTls));
        server.createContext("/redfish/v1/Systems", RedfishDriverTest::handle);
        server.start();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    @Test
    void redfish_reads_on_forces_off_and_reads_off() {
        powerState = "On";
        PowerDriver driver = PowerDrivers.redfish(trust, Duration.ofSeconds(5));

        assertThat(driver.status(target(PASSWORD))).isEqualTo(PowerState.ON);
        assertThat(PowerDrivers.offAndConfirm(driver, target(PASSWORD), Duration.ofSeconds(5)))
                .isInstanceOf(OffResult.Confirmed.class);
        assertThat(powerState).isEqualTo("Off");
        driver.on(target(PASSWORD));
        assertThat(driver.status(target(PASSWORD))).isEqualTo(PowerState.ON);
    }

    @Test
    void redfish_with_a_wrong_password_fails_without_printing_it() {
        PowerDriver driver = PowerDrivers.redfish(trust, Duration.ofSeconds(5));

        assertThatThrownBy(() -> driver.status(target("not-" + PASSWORD)))
                .isInstanceOf(PowerException.class)
                .message().contains("401").doesNotContain(PASSWORD);
    }

    @Test
    void redfish_refuses_a_bmc_whose_certificate_is_not_trusted() {
        PowerDriver driver = PowerDrivers.byName("redfish").orElseThrow();

        assertThatThrownBy(() -> driver.status(target(PASSWORD))).isInstanceOf(PowerException.class);
    }

    private static BmcTarget target(String password) {
        return new BmcTarget("127.0.0.1", server.getAddress().getPort(), USER, Secret.of(password), Map.of());
    }

    private static void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream body = exchange.getRequestBody()) {
            String expected = "Basic " + Base64.getEncoder()
                    .encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
            if (!expected.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                respond(exchange, 401, "{\"error\":\"unauthorized\"}");
                return;
            }
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            if (method.equals("GET") && path.equals("/redfish/v1/Systems")) {
                respond(exchange, 200, "{\"Members\":[{\"@odata.id\":\"" + SYSTEM + "\"}]}");
            } else if (method.equals("GET") && path.equals(SYSTEM)) {
                respond(exchange, 200, "{\"PowerState\":\"" + powerState + "\",\"Actions\":{\"#ComputerSystem.Reset\":"
                        + "{\"target\":\"" + SYSTEM + "/Actions/ComputerSystem.Reset\"}}}");
            } else if (method.equals("POST") && path.equals(SYSTEM + "/Actions/ComputerSystem.Reset")) {
                String request = new String(body.readAllBytes(), StandardCharsets.UTF_8);
                powerState = request.contains("\"ForceOff\"") ? "Off" : request.contains("\"On\"") ? "On" : powerState;
                exchange.sendResponseHeaders(204, -1);
            } else {
                respond(exchange, 404, "{}");
            }
        }
    }

    private static void respond(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
