package dev.drawbridge.bench;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.auth.JWTAuthenticationClaimsSet;
import com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.id.JWTID;
import com.nimbusds.oauth2.sdk.client.ClientInformationResponse;
import com.nimbusds.oauth2.sdk.client.ClientMetadata;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationRequest;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationResponse;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import dev.drawbridge.controller.Controller;
import dev.drawbridge.controller.config.ConductorConfig;
import dev.drawbridge.controller.config.ConfigLoader;
import dev.drawbridge.controller.config.ControllerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * Tokens per second ({@code client_credentials} with {@code private_key_jwt}, a fresh assertion per request) and
 * introspections per second (a resource server holding a {@code peer} token asks about an access token) against a
 * real controller over HTTPS, from {@code WORKERS} virtual threads in the same JVM, each on one keep-alive
 * connection; the client assertions are signed before each timed phase. Each phase runs
 * {@code SECONDS} after a warm-up, {@code ROUNDS} times; the medians are reported. Usage:
 * {@code java -cp drawbridge-bench.jar:drawbridge.jar dev.drawbridge.bench.OAuthBench [SECONDS] [ROUNDS] [WORKERS]}.
 */
public final class OAuthBench {
    private OAuthBench() {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int workers = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        Path dir = Files.createTempDirectory("oauthbench");
        ControllerConfig cfg = ConfigLoader.load(Map.of()).withDataDir(dir.toString()).withListen("127.0.0.1:0");
        ConductorConfig cc = cfg.conductor();
        cfg = cfg.withConductor(new ConductorConfig(false, cc.pollInterval(), cc.jitter(), cc.requestTimeout(),
                cc.maxConcurrentPolls(), cc.unreachableAfter(), cc.maxBackoff(), cc.enrollingDeadline(),
                cc.cleaningDeadline(), cc.deployingDeadline(), cc.rescuingDeadline(), cc.busyPollInterval()));
        try (Controller c = Controller.start(cfg, Clock.systemUTC())) {
            SSLContext tls = TrustingTls.of(Files.readString(c.dataDir().file("ca.pem")));
            String admin = Files.readString(c.dataDir().file("admin.token")).strip();
            URI tokenEndpoint = URI.create(c.url() + "/oauth2/token");
            ECKey key = new ECKeyGenerator(Curve.P_256).keyID("bench").generate();
            ClientID id = register(c.url(), key, tls);
            HttpClient http = HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1).build();

            LoadTarget target = LoadTarget.of(URI.create(c.url()), c.dataDir().file("ca.pem"), false);
            Supplier<String> tokenForm = () -> {
                try {
                    Instant now = Instant.now();
                    return new TokenRequest(tokenEndpoint, new PrivateKeyJWT(new JWTAuthenticationClaimsSet(id,
                            List.of(new Audience(tokenEndpoint)), Date.from(now.plusSeconds(240)), null,
                            Date.from(now), new JWTID()), JWSAlgorithm.ES256, key.toECPrivateKey(), key.getKeyID(),
                            null), new ClientCredentialsGrant(), new Scope("nodes:read")).toHTTPRequest().getBody();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            Supplier<byte[]> tokenBody = () -> post(target, "/oauth2/token", tokenForm.get(), "");
            String subject = token(http, HttpRequest.newBuilder(tokenEndpoint).header("Content-Type",
                    "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(tokenForm.get()))
                    .build());
            String peer = operatorToken(http, c.url(), admin, "peer");
            byte[] introspect = post(target, "/oauth2/introspect", "token=" + URLEncoder.encode(subject,
                    StandardCharsets.UTF_8), "Authorization: Bearer " + peer + "\r\n");
            String body = exchange(target, introspect);
            if (!body.contains("\"active\":true")) {
                throw new IllegalStateException("introspection does not work: " + body);
            }

            List<Double> tokens = new ArrayList<>();
            List<Double> intros = new ArrayList<>();
            int perPhase = seconds * 14_000;
            for (int r = 0; r < rounds; r++) {
                run(target, presigned(tokenBody, 3 * 14_000), workers, 3, "warm-up tokens");
                tokens.add(run(target, presigned(tokenBody, perPhase), workers, seconds, "tokens"));
                run(target, () -> introspect, workers, 3, "warm-up introspections");
                intros.add(run(target, () -> introspect, workers, seconds, "introspections"));
            }
            System.out.printf("{\"tokens_per_s\":%s,\"tokens_per_s_median\":%.0f,\"introspections_per_s\":%s,"
                    + "\"introspections_per_s_median\":%.0f,\"workers\":%d,\"seconds\":%d}%n", tokens, median(tokens),
                    intros, median(intros), workers, seconds);
        }
    }

    /**
     * {@code n} token requests, each with its own freshly signed client assertion, made before the timed phase so
     * that the client's signing does not share the two cores with the server while it is measured.
     */
    static Supplier<byte[]> presigned(Supplier<byte[]> make, int n) {
        long t0 = System.nanoTime();
        ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < n; i++) {
            queue.add(make.get());
        }
        System.err.printf("signed %d client assertions in %d ms%n", n, (System.nanoTime() - t0) / 1_000_000);
        return () -> {
            byte[] next = queue.poll();
            if (next == null) {
                throw new IllegalStateException("ran out of presigned assertions; raise the count");
            }
            return next;
        };
    }

    static byte[] post(LoadTarget target, String path, String form, String extraHeaders) {
        byte[] body = form.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: " + target.host() + ":" + target.port()
                + "\r\nContent-Type: application/x-www-form-urlencoded\r\n" + extraHeaders + "Content-Length: "
                + body.length + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = Arrays.copyOf(h, h.length + body.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }

    private static String exchange(LoadTarget target, byte[] request) throws IOException {
        try (Connection conn = Connection.open(target)) {
            Connection.Answer a = conn.exchange(request);
            if (a.status() != 200) {
                throw new IllegalStateException("answered " + a.status() + ": " + a.excerpt());
            }
            return a.excerpt();
        }
    }

    /** Requests per second over {@code seconds}, one keep-alive connection per worker; any non-200 aborts. */
    static double run(LoadTarget target, Supplier<byte[]> next, int workers, int seconds, String what)
            throws InterruptedException {
        AtomicLong ok = new AtomicLong();
        AtomicLong bad = new AtomicLong();
        List<String> why = Collections.synchronizedList(new ArrayList<>());
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int w = 0; w < workers; w++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try (Connection conn = Connection.open(target)) {
                    while (System.nanoTime() < end) {
                        Connection.Answer a = conn.exchange(next.get());
                        if (a.status() == 200) {
                            ok.incrementAndGet();
                        } else {
                            bad.incrementAndGet();
                            why.add(a.status() + " " + a.excerpt());
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    bad.incrementAndGet();
                    why.add(e.toString());
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double rate = ok.get() / ((System.nanoTime() - t0) / 1e9);
        System.err.printf("%s: %.0f/s (%d ok, %d not 200)%n", what, rate, ok.get(), bad.get());
        if (bad.get() > 0) {
            throw new IllegalStateException(what + ": " + bad.get() + " requests failed, e.g. " + why.get(0));
        }
        return rate;
    }

    private static ClientID register(String url, ECKey key, SSLContext tls) throws Exception {
        ClientMetadata md = new ClientMetadata();
        md.setName("bench");
        md.setJWKSet(new JWKSet(key.toPublicJWK()));
        md.setScope(new Scope("nodes:read"));
        md.setGrantTypes(Set.of(GrantType.CLIENT_CREDENTIALS));
        md.setTokenEndpointAuthMethod(ClientAuthenticationMethod.PRIVATE_KEY_JWT);
        HTTPRequest req = new ClientRegistrationRequest(URI.create(url + "/oauth2/register"), md, null)
                .toHTTPRequest();
        req.setSSLSocketFactory(tls.getSocketFactory());
        HTTPResponse res = req.send();
        if (res.getStatusCode() != 201) {
            throw new IllegalStateException("registration failed: " + res.getBody());
        }
        return ((ClientInformationResponse) ClientRegistrationResponse.parse(res)).getClientInformation().getID();
    }

    private static String token(HttpClient http, HttpRequest req) throws Exception {
        String body = http.send(req, HttpResponse.BodyHandlers.ofString()).body();
        return field(body, "access_token");
    }

    private static String operatorToken(HttpClient http, String url, String admin, String scope) throws Exception {
        String body = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/oauth/tokens"))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"scope\":\"" + scope + "\",\"lifetime\":\"1h\"}"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        return field(body, "access_token");
    }

    static String field(String json, String name) {
        int i = json.indexOf("\"" + name + "\":\"");
        if (i < 0) {
            throw new IllegalStateException("no " + name + " in " + json);
        }
        int start = i + name.length() + 4;
        return json.substring(start, json.indexOf('"', start));
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
