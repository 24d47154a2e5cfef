package dev.drawbridge.bench;

import dev.drawbridge.cli.Main;
import dev.drawbridge.controller.Controller;
import dev.drawbridge.controller.config.ConfigLoader;
import dev.drawbridge.controller.config.ControllerConfig;
import dev.drawbridge.pki.Jws;
import dev.drawbridge.protocol.SerialLink;
import dev.drawbridge.protocol.Wire;
import dev.drawbridge.testkit.RedfishService;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What each bootstrap channel puts on its medium for one node, measured on a real controller: the payload alone
 * (file channel, the reference), the config-drive image xorriso makes, the image a BMC fetches over virtual
 * media (the test kit's Redfish service, fetching from the controller's one-time URL), and every byte both ends of the serial
 * channel write for a whole enrollment (payload down, CSR up from a key openssl makes, certificate down, DONE up,
 * with every ACK), over an error-free line. Prints one JSON line. Usage:
 * {@code java -cp drawbridge-bench.jar:drawbridge.jar dev.drawbridge.bench.BootstrapSizesBench}.
 */
public final class BootstrapSizesBench {
    private BootstrapSizesBench() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("bootstrap-sizes");
        ControllerConfig cfg = ConfigLoader.load(Map.of()).withDataDir(dir.resolve("ctl").toString())
                .withListen("127.0.0.1:0");
        cfg = cfg.withConductor(cfg.conductor().withEnabled(false));
        try (RedfishService bmc = RedfishService.start(Files.createDirectories(dir.resolve("bmc")), "root", "bench");
             Controller c = Controller.start(cfg.withFencing(cfg.fencing().withRedfishCaFile(
                     bmc.certificatePem().toString())), Clock.systemUTC())) {
            String data = c.dataDir().root().toString();
            run("node", "create", "size-1", "--mac", "52:54:00:51:00:01", "--data-dir", data);
            Path file = dir.resolve("payload.jws");
            Path iso = dir.resolve("size-1.iso");
            run("node", "payload", "size-1", "--channel", "file", "--out", file.toString(), "--data-dir", data);
            run("node", "payload", "size-1", "--channel", "config-drive", "--out", iso.toString(), "--data-dir", data);

            // Virtual media: the bytes a BMC fetches from the one-time URL (the test kit's Redfish service fetches an
            // inserted image as a mounting BMC does).
            bmc.fetchImages(TrustingTls.of(Files.readString(c.dataDir().file("ca.pem"))));
            Path bmcPassword = dir.resolve("bmc-password");
            Files.writeString(bmcPassword, "bench");
            run("node", "create", "size-2", "--mac", "52:54:00:51:00:02", "--bmc", "127.0.0.1:" + bmc.port(),
                    "--bmc-user", "root", "--bmc-password-ref", "file:" + bmcPassword, "--data-dir", data);
            run("node", "payload", "size-2", "--channel", "virtual-media", "--data-dir", data);
            long mediaBytes = bmc.medium().length;

            // The serial exchange, counted on the wire, with the controller's real answer to a real CSR.
            HttpClient http = HttpClient.newBuilder().sslContext(TrustingTls.of(Files.readString(
                    c.dataDir().file("ca.pem")))).version(HttpClient.Version.HTTP_1_1).build();
            String token = Files.readString(c.dataDir().file("admin.token")).strip();
            String payload = post(http, c.url() + "/v1/nodes/size-1/payload", token, "{\"mode\":\"poll\"}")
                    .get("payload").toString().replace("\"", "");
            String ticket = Wire.JSON.readTree(Jws.unverifiedPayload(payload).orElseThrow()).path("ticket").asText();
            String csr = openssl(dir);
            PipedInputStream downIn = new PipedInputStream(1 << 16);
            PipedInputStream upIn = new PipedInputStream(1 << 16);
            AtomicLong down = new AtomicLong();
            AtomicLong up = new AtomicLong();
            OutputStream downOut = counting(new PipedOutputStream(downIn), down);
            OutputStream upOut = counting(new PipedOutputStream(upIn), up);
            try (SerialLink controllerSide = new SerialLink(upIn, downOut, Duration.ofSeconds(2), 10);
                 SerialLink nodeSide = new SerialLink(downIn, upOut, Duration.ofSeconds(2), 10)) {
                CompletableFuture<Void> node = CompletableFuture.runAsync(() -> {
                    try {
                        nodeSide.receive(Duration.ofSeconds(30));
                        nodeSide.send(SerialLink.Type.CSR, csr.getBytes(StandardCharsets.UTF_8));
                        nodeSide.receive(Duration.ofSeconds(30));
                        nodeSide.send(SerialLink.Type.DONE, "ok".getBytes(StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                controllerSide.send(SerialLink.Type.PAYLOAD, payload.getBytes(StandardCharsets.UTF_8));
                String gotCsr = controllerSide.receive(Duration.ofSeconds(30)).text();
                var enrolled = post(http, c.url() + "/v1/enroll", token, Wire.JSON.writeValueAsString(
                        Map.of("ticket", ticket, "csr", gotCsr)));
                var cert = Wire.JSON.createObjectNode().put("certificate", enrolled.get("certificate").asText());
                cert.set("chain", enrolled.get("chain"));
                controllerSide.send(SerialLink.Type.CERT, Wire.JSON.writeValueAsBytes(cert));
                controllerSide.receive(Duration.ofSeconds(30));
                node.get(30, TimeUnit.SECONDS);
            }
            long fileBytes = Files.size(file);
            long isoBytes = Files.size(iso);
            long serialBytes = down.get() + up.get();
            // 8N1 framing: ten bit times per byte on the wire.
            double seconds115k = serialBytes * 10.0 / 115_200;
            System.out.printf("{\"file_bytes\":%d,\"config_drive_bytes\":%d,\"virtual_media_bytes\":%d,"
                            + "\"serial_down_bytes\":%d,\"serial_up_bytes\":%d,\"serial_total_bytes\":%d,"
                            + "\"config_drive_ratio\":%.1f,\"serial_ratio\":%.2f,\"serial_seconds_at_115200\":%.2f}%n",
                    fileBytes, isoBytes, mediaBytes, down.get(), up.get(), serialBytes, (double) isoBytes / fileBytes,
                    (double) serialBytes / fileBytes, seconds115k);
        }
        System.exit(0);
    }

    private static void run(String... args) {
        int code = Main.run(args);
        if (code != 0) {
            throw new IllegalStateException("drawbridge " + String.join(" ", args) + " exited " + code);
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode post(HttpClient http, String url, String token,
                                                                String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
        }
        return Wire.JSON.readTree(r.body());
    }

    private static String openssl(Path dir) throws Exception {
        Process p = new ProcessBuilder("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir.resolve("k.pem").toString(), "-subj",
                "/CN=size-1").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String pem = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("openssl req failed");
        }
        return pem;
    }

    private static OutputStream counting(OutputStream out, AtomicLong count) {
        return new FilterOutputStream(out) {
            @Override
            public void write(int b) throws IOException {
                count.incrementAndGet();
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                count.addAndGet(len);
                out.write(b, off, len);
            }
        };
    }
}
