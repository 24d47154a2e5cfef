package dev.drawbridge.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A small Redfish service (DSP0266) in the DMTF mockup layout, for tests: the service root, one computer system
 * with {@code PowerState} and {@code ComputerSystem.Reset}, one manager with a {@code Cd} virtual-media slot and its
 * {@code VirtualMedia.InsertMedia} and {@code EjectMedia} actions. HTTPS with a certificate keytool makes for
 * 127.0.0.1 (its PEM is written for clients such as python3-sushy and redfishtool), HTTP Basic authentication on
 * everything but the service root. No Redfish emulator can be installed here (sushy-tools is on PyPI only), so this
 * stands in for a BMC; clients nobody here wrote read its state in the tests.
 */
public final class RedfishService implements AutoCloseable {
    public static final String SYSTEM = "/redfish/v1/Systems/1";
    public static final String MANAGER = "/redfish/v1/Managers/1";
    public static final String CD = MANAGER + "/VirtualMedia/Cd";
    private static final Pattern IMAGE = Pattern.compile("\"Image\"\\s*:\\s*\"([^\"]*)\"");
    private static final Pattern RESET = Pattern.compile("\"ResetType\"\\s*:\\s*\"([A-Za-z]+)\"");

    private final HttpsServer server;
    private final String user;
    private final String password;
    private final SSLContext trust;
    private final Path certificatePem;
    private final List<String> actions = new CopyOnWriteArrayList<>();
    private volatile String powerState = "On";
    private volatile String image;
    private volatile boolean inserted;
    private volatile SSLContext fetchTrust;
    private volatile byte[] medium;

    private RedfishService(HttpsServer server, String user, String password, SSLContext trust, Path pem) {
        this.server = server;
        this.user = user;
        this.password = password;
        this.trust = trust;
        this.certificatePem = pem;
    }

    /** Starts on 127.0.0.1 (a free port) with a fresh certificate made in {@code dir}. */
    public static RedfishService start(Path dir, String user, String password) throws Exception {
        Path keystore = dir.resolve("redfish.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(keytool, "-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-alias", "bmc", "-dname", "CN=bmc",
                "-ext", "san=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                keystore.toString(), "-storepass", "changeit");
        KeyStore keys = KeyStore.getInstance(keystore.toFile(), "changeit".toCharArray());
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, "changeit".toCharArray());
        SSLContext serverTls = SSLContext.getInstance("TLS");
        serverTls.init(kmf.getKeyManagers(), null, null);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(keys);
        SSLContext trust = SSLContext.getInstance("TLS");
        trust.init(null, tmf.getTrustManagers(), null);
        Certificate cert = keys.getCertificate("bmc");
        Path pem = dir.resolve("redfish.pem");
        Files.writeString(pem, "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(
                StandardCharsets.US_ASCII)).encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverTls));
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "redfish-service");
            t.setDaemon(true);
            return t;
        }));
        RedfishService s = new RedfishService(server, user, password, trust, pem);
        server.createContext("/redfish", s::handle);
        server.start();
        return s;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code https://127.0.0.1:PORT}. */
    public String url() {
        return "https://127.0.0.1:" + port();
    }

    /** A client context trusting only this service's certificate. */
    public SSLContext trust() {
        return trust;
    }

    /** The service's certificate as PEM, for clients that take a CA bundle file. */
    public Path certificatePem() {
        return certificatePem;
    }

    public String powerState() {
        return powerState;
    }

    public void powerState(String state) {
        powerState = state;
    }

    /** The virtual CD's image URL while one is inserted. */
    public String image() {
        return image;
    }

    public boolean inserted() {
        return inserted;
    }

    /**
     * From now on, InsertMedia fetches the image as a BMC that mounts it does (over HTTPS trusting {@code trust}),
     * and fails with a Redfish error when the fetch does not answer 200; {@link #medium()} holds what it read.
     */
    public void fetchImages(SSLContext trust) {
        fetchTrust = trust;
    }

    /** The bytes of the inserted image, when {@link #fetchImages} is on and an image is inserted. */
    public byte[] medium() {
        return medium;
    }

    /** Every action posted, in order: {@code Reset ForceOff}, {@code InsertMedia URL}, {@code EjectMedia}. */
    public List<String> actions() {
        return List.copyOf(actions);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex; InputStream in = ex.getRequestBody()) {
            String path = ex.getRequestURI().getPath().replaceAll("/+$", "");
            String method = ex.getRequestMethod();
            String body = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
            if ("close".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Connection"))) {
                // Say so, or a pooling client (urllib3) may send its next request on a connection being closed.
                ex.getResponseHeaders().add("Connection", "close");
            }
            if (!path.equals("/redfish/v1") && !path.equals("/redfish") && !authorized(ex)) {
                ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"redfish\"");
                send(ex, 401, error("Base.1.8.NoValidSession", "authentication required"));
                return;
            }
            switch (method + " " + path) {
                case "GET /redfish" -> send(ex, 200, "{\"v1\":\"/redfish/v1/\"}");
                case "GET /redfish/v1" -> send(ex, 200, root());
                case "GET /redfish/v1/Systems" -> send(ex, 200, collection("ComputerSystemCollection",
                        "/redfish/v1/Systems", SYSTEM));
                case "GET " + SYSTEM -> send(ex, 200, system());
                case "POST " + SYSTEM + "/Actions/ComputerSystem.Reset" -> reset(ex, body);
                case "GET /redfish/v1/Managers" -> send(ex, 200, collection("ManagerCollection", "/redfish/v1/Managers",
                        MANAGER));
                case "GET " + MANAGER -> send(ex, 200, manager());
                case "GET " + MANAGER + "/VirtualMedia" -> send(ex, 200, collection("VirtualMediaCollection",
                        MANAGER + "/VirtualMedia", CD));
                case "GET " + CD -> send(ex, 200, cd());
                case "POST " + CD + "/Actions/VirtualMedia.InsertMedia" -> insert(ex, body);
                case "POST " + CD + "/Actions/VirtualMedia.EjectMedia" -> {
                    image = null;
                    medium = null;
                    inserted = false;
                    actions.add("EjectMedia");
                    ex.sendResponseHeaders(204, -1);
                }
                default -> send(ex, 404, error("Base.1.8.ResourceMissingAtURI", "no resource at " + path));
            }
        }
    }

    private boolean authorized(HttpExchange ex) {
        String expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
        return expected.equals(ex.getRequestHeaders().getFirst("Authorization"));
    }

    private void reset(HttpExchange ex, String body) throws IOException {
        Matcher m = RESET.matcher(body);
        if (!m.find()) {
            send(ex, 400, error("Base.1.8.PropertyMissing", "ResetType is required"));
            return;
        }
        switch (m.group(1)) {
            case "On", "ForceOn" -> powerState = "On";
            case "ForceOff", "GracefulShutdown", "PushPowerButton" -> powerState = "Off";
            case "ForceRestart", "GracefulRestart" -> powerState = "On";
            default -> {
                send(ex, 400, error("Base.1.8.ActionParameterValueNotInList", m.group(1) + " is not allowed"));
                return;
            }
        }
        actions.add("Reset " + m.group(1));
        ex.sendResponseHeaders(204, -1);
    }

    private void insert(HttpExchange ex, String body) throws IOException {
        Matcher m = IMAGE.matcher(body);
        if (!m.find() || m.group(1).isBlank()) {
            send(ex, 400, error("Base.1.8.PropertyMissing", "Image is required"));
            return;
        }
        if (inserted) {
            send(ex, 409, error("Base.1.8.ResourceInUse", "a medium is inserted: eject it first"));
            return;
        }
        if (fetchTrust != null) {
            try {
                HttpResponse<byte[]> got = HttpClient.newBuilder().sslContext(fetchTrust).build().send(HttpRequest
                        .newBuilder(URI.create(m.group(1))).timeout(Duration.ofSeconds(10)).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (got.statusCode() != 200) {
                    send(ex, 500, error("Base.1.8.GeneralError", "could not fetch " + m.group(1) + ": HTTP "
                            + got.statusCode()));
                    return;
                }
                medium = got.body();
            } catch (IOException | IllegalArgumentException | InterruptedException e) {
                // As BMCs do, the error names the URL it could not mount.
                send(ex, 500, error("Base.1.8.GeneralError", "could not fetch " + m.group(1) + ": " + e));
                return;
            }
        }
        image = m.group(1);
        inserted = true;
        actions.add("InsertMedia " + image);
        ex.sendResponseHeaders(204, -1);
    }

    private String root() {
        return "{\"@odata.id\":\"/redfish/v1/\",\"@odata.type\":\"#ServiceRoot.v1_5_0.ServiceRoot\",\"Id\":"
                + "\"RootService\",\"Name\":\"Root Service\",\"RedfishVersion\":\"1.6.0\",\"UUID\":"
                + "\"85775665-c110-4b85-8989-e6162170b3ec\",\"Systems\":{\"@odata.id\":\"/redfish/v1/Systems\"},"
                + "\"Managers\":{\"@odata.id\":\"/redfish/v1/Managers\"},\"Links\":{}}";
    }

    private static String collection(String type, String self, String member) {
        return "{\"@odata.id\":\"" + self + "\",\"@odata.type\":\"#" + type + "." + type + "\",\"Name\":\"" + type
                + "\",\"Members@odata.count\":1,\"Members\":[{\"@odata.id\":\"" + member + "\"}]}";
    }

    private String system() {
        return "{\"@odata.id\":\"" + SYSTEM + "\",\"@odata.type\":\"#ComputerSystem.v1_10_0.ComputerSystem\","
                + "\"Id\":\"1\",\"Name\":\"Test system\",\"SystemType\":\"Physical\",\"PowerState\":\"" + powerState
                + "\",\"Status\":{\"State\":\"Enabled\",\"Health\":\"OK\"},\"Boot\":{\"BootSourceOverrideEnabled\":"
                + "\"Disabled\",\"BootSourceOverrideTarget\":\"None\",\"BootSourceOverrideMode\":\"UEFI\","
                + "\"BootSourceOverrideTarget@Redfish.AllowableValues\":[\"None\",\"Pxe\",\"Cd\",\"Hdd\"]},"
                + "\"Links\":{\"ManagedBy\":[{\"@odata.id\":\""
                + MANAGER + "\"}]},\"Actions\":{\"#ComputerSystem.Reset\":{\"target\":\"" + SYSTEM
                + "/Actions/ComputerSystem.Reset\",\"ResetType@Redfish.AllowableValues\":[\"On\",\"ForceOff\","
                + "\"GracefulShutdown\",\"ForceRestart\",\"GracefulRestart\",\"PushPowerButton\"]}}}";
    }

    private String manager() {
        return "{\"@odata.id\":\"" + MANAGER + "\",\"@odata.type\":\"#Manager.v1_5_0.Manager\",\"Id\":\"1\","
                + "\"Name\":\"Test BMC\",\"ManagerType\":\"BMC\",\"Status\":{\"State\":\"Enabled\",\"Health\":\"OK\"},"
                + "\"VirtualMedia\":{\"@odata.id\":\"" + MANAGER + "/VirtualMedia\"},\"Links\":{\"ManagerForServers\":"
                + "[{\"@odata.id\":\"" + SYSTEM + "\"}]}}";
    }

    private String cd() {
        String img = image;
        return "{\"@odata.id\":\"" + CD + "\",\"@odata.type\":\"#VirtualMedia.v1_3_0.VirtualMedia\",\"Id\":\"Cd\","
                + "\"Name\":\"Virtual CD\",\"MediaTypes\":[\"CD\",\"DVD\"],\"Image\":" + (img == null ? "null"
                : "\"" + img + "\"") + ",\"ImageName\":" + (img == null ? "null" : "\"" + img.replaceAll(".*/", "")
                + "\"") + ",\"Inserted\":" + inserted + ",\"WriteProtected\":true,\"ConnectedVia\":\""
                + (inserted ? "URI" : "NotConnected") + "\",\"Actions\":{\"#VirtualMedia.InsertMedia\":{\"target\":\""
                + CD + "/Actions/VirtualMedia.InsertMedia\"},\"#VirtualMedia.EjectMedia\":{\"target\":\"" + CD
                + "/Actions/VirtualMedia.EjectMedia\"}}}";
    }

    private static String error(String code, String message) {
        return "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message.replace("\"", "'") + "\"}}";
    }

    private static void send(HttpExchange ex, int status, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.getResponseHeaders().add("OData-Version", "4.0");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(List.of(cmd))).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
