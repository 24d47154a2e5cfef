package dev.drawbridge.controller.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.Controller;
import dev.drawbridge.controller.config.ConfigLoader;
import dev.drawbridge.controller.config.ControllerConfig;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.testkit.TestClock;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** A real controller on port 0 in a temp directory, with an HTTPS client that trusts only its root. */
final class RunningController implements AutoCloseable {
    final Controller controller;
    final TestClock clock;
    final String token;
    final Path dataDir;
    private final HttpClient http;

    private RunningController(Controller controller, TestClock clock, Path dataDir) throws Exception {
        this.controller = controller;
        this.clock = clock;
        this.dataDir = dataDir;
        this.token = Files.readString(dataDir.resolve("admin.token")).strip();
        this.http = HttpClient.newBuilder().sslContext(trusting(Files.readString(dataDir.resolve("ca.pem"))))
                .version(HttpClient.Version.HTTP_1_1).build();
    }

    static RunningController start(Path dataDir, UnaryOperator<ControllerConfig> tweak) throws Exception {
        TestClock clock = TestClock.atSystemTime();
        ControllerConfig cfg = tweak.apply(ConfigLoader.load(Map.of())
                .withDataDir(dataDir.toString()).withListen("127.0.0.1:0"));
        return new RunningController(Controller.start(cfg, clock), clock, dataDir);
    }

    static RunningController start(Path dataDir) throws Exception {
        return start(dataDir, c -> c);
    }

    record Answer(int status, Map<String, List<String>> headers, byte[] body) {
        JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + text(), e);
            }
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse("");
        }

        /** The problem type slug, e.g. "ticket-used". */
        String problemType() {
            return json().path("type").asText().replace(Problems.TYPE_BASE, "");
        }
    }

    Answer call(String method, String path, String contentType, byte[] body, String... headers) {
        return call(http, method, path, contentType, body, headers);
    }

    /** As {@link #call}, over a TLS connection made with {@code tls} (a client certificate of the caller's choosing). */
    Answer callOver(SSLContext tls, String method, String path, String contentType, byte[] body, String... headers) {
        return call(HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1).build(), method,
                path, contentType, body, headers);
    }

    private Answer call(HttpClient client, String method, String path, String contentType, byte[] body,
                        String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(controller.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            HttpResponse<byte[]> res = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Answer(res.statusCode(), res.headers().map(), res.body());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(method + " " + path + " failed: " + e, e);
        }
    }

    /**
     * A call over a TLS connection that presents a client certificate of {@code profile} issued by this controller's
     * CA (as a node, a console or another controller would), with the given headers.
     */
    Answer callWithCertificate(Profile profile, String method, String path, String... headers)
            throws Exception {
        var kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(256);
        var kp = kpg.generateKeyPair();
        var cert = controller.ca().issue(new IssueRequest(profile, "client-" + profile.name()
                .toLowerCase(Locale.ROOT), List.of(), List.of(), kp.getPublic()));
        var ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("c", kp.getPrivate(), new char[0], new Certificate[] {cert.certificate(),
                controller.ca().root()});
        var kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        var trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("root", controller.ca().root());
        tmf.init(trust);
        var ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        HttpClient withCert = HttpClient.newBuilder().sslContext(ctx).version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(controller.url() + path))
                .method(method, HttpRequest.BodyPublishers.ofString("{}")).header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<byte[]> res = withCert.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(res.statusCode(), res.headers().map(), res.body());
    }

    /** An authenticated JSON call. */
    Answer json(String method, String path, Object body) {
        return call(method, path, body == null ? null : "application/json", body == null ? null : Json.bytes(body),
                "Authorization", "Bearer " + token);
    }

    Answer get(String path) {
        return call("GET", path, null, null, "Authorization", "Bearer " + token);
    }

    String createNode(String name) {
        Answer a = json("POST", "/v1/nodes", Map.of("name", name, "macs", List.of("52:54:00:12:34:56")));
        if (a.status() != 201) {
            throw new AssertionError("node create failed: " + a.text());
        }
        return a.json().path("id").asText();
    }

    String ticket(String node, String lifetime) {
        Answer a = json("POST", "/v1/nodes/" + node + "/tickets", lifetime == null ? Map.of() : Map.of("lifetime", lifetime));
        if (a.status() != 201) {
            throw new AssertionError("ticket failed: " + a.text());
        }
        return a.json().path("ticket").asText();
    }

    Answer enroll(String ticket, String csrPem) {
        return call("POST", "/v1/enroll", "application/json", Json.bytes(Map.of("ticket", ticket, "csr", csrPem)));
    }

    @Override
    public void close() {
        controller.close();
    }

    static SSLContext trusting(String pem) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("root", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
