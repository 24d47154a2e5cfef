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
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * Tokens per second ({@code client_credentials} with {@code private_key_jwt}, a fresh assertion per request) and
 * introspections per second (a resource server holding a {@code peer} token asks about an access token) against a
 * real controller over HTTPS with keep-alive, from {@code WORKERS} virtual threads in the same JVM. Each phase runs
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

            Supplier<HttpRequest> tokenRequest = () -> {
                try {
                    Instant now = Instant.now();
                    HTTPRequest r = new TokenRequest(tokenEndpoint, new PrivateKeyJWT(new JWTAuthenticationClaimsSet(id,
                            List.of(new Audience(tokenEndpoint)), Date.from(now.plusSeconds(60)), null,
                            Date.from(now), new JWTID()), JWSAlgorithm.ES256, key.toECPrivateKey(), key.getKeyID(),
                            null), new ClientCredentialsGrant(), new Scope("nodes:read")).toHTTPRequest();
                    return HttpRequest.newBuilder(tokenEndpoint).header("Content-Type",
                            "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(r.getBody()))
                            .build();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            String subject = token(http, tokenRequest.get());
            String peer = operatorToken(http, c.url(), admin, "peer");
            HttpRequest introspect = HttpRequest.newBuilder(URI.create(c.url() + "/oauth2/introspect"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Authorization", "Bearer " + peer)
                    .POST(HttpRequest.BodyPublishers.ofString("token=" + URLEncoder.encode(subject,
                            StandardCharsets.UTF_8))).build();
            String body = http.send(introspect, HttpResponse.BodyHandlers.ofString()).body();
            if (!body.contains("\"active\":true")) {
                throw new IllegalStateException("introspection does not work: " + body);
            }

            List<Double> tokens = new ArrayList<>();
            List<Double> intros = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                run(http, tokenRequest, workers, 3, "warm-up tokens");
                tokens.add(run(http, tokenRequest, workers, seconds, "tokens"));
                run(http, () -> introspect, workers, 3, "warm-up introspections");
                intros.add(run(http, () -> introspect, workers, seconds, "introspections"));
            }
            System.out.printf("{\"tokens_per_s\":%s,\"tokens_per_s_median\":%.0f,\"introspections_per_s\":%s,"
                    + "\"introspections_per_s_median\":%.0f,\"workers\":%d,\"seconds\":%d}%n", tokens, median(tokens),
                    intros, median(intros), workers, seconds);
        }
    }

    /** Requests per second over {@code seconds}, counting only 200 answers; any other answer aborts. */
    private static double run(HttpClient http, Supplier<HttpRequest> next, int workers, int seconds, String what)
            throws InterruptedException {
        AtomicLong ok = new AtomicLong();
        AtomicLong bad = new AtomicLong();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int w = 0; w < workers; w++) {
            threads.add(Thread.ofVirtual().start(() -> {
                while (System.nanoTime() < end) {
                    try {
                        HttpResponse<Void> res = http.send(next.get(), HttpResponse.BodyHandlers.discarding());
                        (res.statusCode() == 200 ? ok : bad).incrementAndGet();
                    } catch (Exception e) {
                        bad.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double rate = ok.get() / ((System.nanoTime() - t0) / 1e9);
        System.err.printf("%s: %.0f/s (%d ok, %d not 200)%n", what, rate, ok.get(), bad.get());
        if (bad.get() > 0) {
            throw new IllegalStateException(what + ": " + bad.get() + " requests did not answer 200");
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

    private static String field(String json, String name) {
        int i = json.indexOf("\"" + name + "\":\"");
        if (i < 0) {
            throw new IllegalStateException("no " + name + " in " + json);
        }
        int start = i + name.length() + 4;
        return json.substring(start, json.indexOf('"', start));
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
