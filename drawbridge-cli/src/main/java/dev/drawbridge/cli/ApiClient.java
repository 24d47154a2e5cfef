package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drawbridge.protocol.Causes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * Talks to a running controller over HTTPS, trusting only our root CA. The target comes from
 * {@code DRAWBRIDGE_URL}, {@code DRAWBRIDGE_TOKEN} and {@code DRAWBRIDGE_CA}, or from the files a
 * controller writes into its data directory.
 */
final class ApiClient {
    static final ObjectMapper JSON = new ObjectMapper();
    /** How many times a request answered 503 store-unavailable is sent again. */
    static final int STORE_RETRIES = 5;
    private final HttpClient http;
    private final URI base;
    private final String token;

    ApiClient(URI base, String token, String caPem) {
        this.base = base;
        this.token = token;
        this.http = HttpClient.newBuilder().sslContext(trusting(caPem)).connectTimeout(Duration.ofSeconds(10)).build();
    }

    static ApiClient from(Path dataDir, Map<String, String> env) {
        String url = Optional.ofNullable(env.get("DRAWBRIDGE_URL")).orElseGet(() -> read(dataDir, "controller.url"));
        String token = Optional.ofNullable(env.get("DRAWBRIDGE_TOKEN")).orElseGet(() -> read(dataDir, "admin.token"));
        if (env.containsKey("DRAWBRIDGE_URL") && !env.containsKey("DRAWBRIDGE_CA")) {
            // A remote controller must not be trusted through a local data directory's CA by accident.
            throw new CliException("DRAWBRIDGE_URL is set but DRAWBRIDGE_CA is not: set DRAWBRIDGE_CA to the path of "
                    + "that controller's root certificate (its data directory's ca.pem, or 'drawbridge ca root' there)");
        }
        String ca = Optional.ofNullable(env.get("DRAWBRIDGE_CA")).map(p -> {
            if (!Files.isRegularFile(Path.of(p))) {
                throw new CliException("DRAWBRIDGE_CA names " + p + ", which is not a file: set it to the controller's "
                        + "root certificate (PEM)");
            }
            return read(Path.of(p));
        }).orElseGet(() -> read(dataDir, "ca.pem"));
        return new ApiClient(URI.create(url.strip()), token.strip(), ca);
    }

    JsonNode get(String path) {
        return json(send(request(path).GET()));
    }

    JsonNode post(String path, Object body) {
        return json(send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(body)))));
    }

    JsonNode patch(String path, Object body) {
        return json(send(request(path).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(bytes(body)))));
    }

    JsonNode put(String path, Object body) {
        return json(send(request(path).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes(body)))));
    }

    void delete(String path) {
        send(request(path).DELETE());
    }

    /** A DELETE whose answer is the deleted resource. */
    JsonNode deleteJson(String path) {
        return json(send(request(path).DELETE()));
    }

    byte[] postBytes(String path, String contentType, byte[] body) {
        return send(request(path).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))).body();
    }

    byte[] getBytes(String path) {
        return send(request(path).GET()).body();
    }

    URI base() {
        return base;
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token).header("Accept", "application/json");
    }

    /**
     * Sends, and sends again up to {@link #STORE_RETRIES} times when the controller answers 503
     * {@code store-unavailable}: that answer means nothing was written, so even a POST may be repeated, after the
     * {@code Retry-After} it names (at most 10 s).
     */
    private HttpResponse<byte[]> send(HttpRequest.Builder req) {
        HttpRequest built = req.build();
        HttpResponse<byte[]> res = sendOnce(built);
        for (int attempt = 1; attempt <= STORE_RETRIES && storeUnavailable(res); attempt++) {
            long wait = res.headers().firstValue("Retry-After").map(ApiClient::seconds).orElse(5L);
            System.err.println("drawbridge: the controller's store is unavailable; trying again in " + wait + " s ("
                    + attempt + "/" + STORE_RETRIES + ")");
            try {
                Thread.sleep(wait * 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted");
            }
            res = sendOnce(built);
        }
        if (res.statusCode() >= 400) {
            throw new CliException(problem(res), res.statusCode() == 404 ? 4 : 2);
        }
        return res;
    }

    private HttpResponse<byte[]> sendOnce(HttpRequest req) {
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new CliException("cannot reach the controller at " + base + ": " + Causes.describe(e) + next(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }

    private static boolean storeUnavailable(HttpResponse<byte[]> res) {
        if (res.statusCode() != 503) {
            return false;
        }
        try {
            return JSON.readTree(res.body()).path("type").asText().endsWith("store-unavailable");
        } catch (IOException e) {
            return false;
        }
    }

    /** A Retry-After in seconds, within 0..10; 5 when it is not a number of seconds (an HTTP date, say). */
    private static long seconds(String retryAfter) {
        try {
            return Math.max(0, Math.min(10, Long.parseLong(retryAfter.strip())));
        } catch (NumberFormatException e) {
            return 5;
        }
    }

    private static String problem(HttpResponse<byte[]> res) {
        try {
            JsonNode p = JSON.readTree(res.body());
            return p.path("title").asText("HTTP " + res.statusCode()) + ": " + p.path("detail").asText("");
        } catch (IOException e) {
            return "HTTP " + res.statusCode();
        }
    }

    private static JsonNode json(HttpResponse<byte[]> res) {
        try {
            return res.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(res.body());
        } catch (IOException e) {
            throw new CliException("the controller answered something that is not JSON");
        }
    }

    /** What to do about a failure to reach the controller. */
    private static String next(Throwable e) {
        Throwable t = Causes.root(e);
        if (t instanceof SSLException || t instanceof CertificateException) {
            return "; check that DRAWBRIDGE_CA (or the data directory's ca.pem) is this controller's root certificate";
        }
        return "; is it running there? start one with './drawbridge controller', or point DRAWBRIDGE_URL at it";
    }

    private static byte[] bytes(Object body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path dir, String name) {
        Path p = dir.resolve(name);
        if (!Files.exists(p)) {
            throw new CliException("no " + name + " in " + dir.toAbsolutePath()
                    + ": start a controller there (./drawbridge controller), or set DRAWBRIDGE_URL, DRAWBRIDGE_TOKEN and DRAWBRIDGE_CA");
        }
        return read(p);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new CliException("cannot read " + p + ": " + e.getMessage());
        }
    }

    static SSLContext trusting(String caPem) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(caPem.getBytes()))) {
                ks.setCertificateEntry("ca" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new CliException("the CA certificate is not usable: " + e.getMessage());
        }
    }
}
