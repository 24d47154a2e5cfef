package dev.drawbridge.bench;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.auth.JWTAuthenticationClaimsSet;
import com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.JWTID;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.function.Supplier;

/**
 * The same load as {@link OAuthBench} against Keycloak, the server users would otherwise pick: a realm with one
 * client authenticating by {@code private_key_jwt} (its ES256 public key registered inline, as ours) and one
 * resource-server client that introspects with its secret. Keycloak is set up through its admin REST API; it runs
 * with {@code start-dev} (H2) and signs its tokens with its default key (RS256). Usage:
 * {@code java -cp ... dev.drawbridge.bench.KeycloakBench BASE_URL CA_PEM ADMIN_USER ADMIN_PASSWORD [SECONDS] [ROUNDS]
 * [WORKERS]}.
 */
public final class KeycloakBench {
    private KeycloakBench() {}

    public static void main(String[] args) throws Exception {
        String base = args[0];
        Path ca = Path.of(args[1]);
        int seconds = args.length > 4 ? Integer.parseInt(args[4]) : 15;
        int rounds = args.length > 5 ? Integer.parseInt(args[5]) : 3;
        int workers = args.length > 6 ? Integer.parseInt(args[6]) : 32;
        HttpClient http = HttpClient.newBuilder().sslContext(TrustingTls.of(Files.readString(ca)))
                .version(HttpClient.Version.HTTP_1_1).build();
        String admin = OAuthBench.field(send(http, form(base + "/realms/master/protocol/openid-connect/token",
                "grant_type=password&client_id=admin-cli&username=" + enc(args[2]) + "&password=" + enc(args[3]),
                null)), "access_token");
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("bench").algorithm(JWSAlgorithm.ES256)
                .keyUse(KeyUse.SIGNATURE).generate();
        String secret = "rs-" + Long.toHexString(Double.doubleToLongBits(Math.random()));
        String realm = "bench-" + System.currentTimeMillis();
        json(http, base + "/admin/realms", admin, "{\"realm\":\"" + realm + "\",\"enabled\":true,"
                + "\"accessTokenLifespan\":300}");
        String jwks = new JWKSet(key.toPublicJWK()).toString().replace("\"", "\\\"");
        String clients = base + "/admin/realms/" + realm + "/clients";
        json(http, clients, admin, "{\"clientId\":\"bench\",\"protocol\":\"openid-connect\","
                + "\"publicClient\":false,\"serviceAccountsEnabled\":true,\"standardFlowEnabled\":false,"
                + "\"directAccessGrantsEnabled\":false,\"clientAuthenticatorType\":\"client-jwt\",\"attributes\":"
                + "{\"use.jwks.string\":\"true\",\"jwks.string\":\"" + jwks + "\","
                + "\"token.endpoint.auth.signing.alg\":\"ES256\"}}");
        json(http, clients, admin, "{\"clientId\":\"rs\",\"protocol\":\"openid-connect\","
                + "\"publicClient\":false,\"secret\":\"" + secret + "\",\"clientAuthenticatorType\":\"client-secret\","
                + "\"serviceAccountsEnabled\":true,\"standardFlowEnabled\":false}");

        URI tokenEndpoint = URI.create(base + "/realms/" + realm + "/protocol/openid-connect/token");
        LoadTarget target = LoadTarget.of(URI.create(base), ca, false);
        String tokenPath = tokenEndpoint.getPath();
        Supplier<String> tokenForm = () -> {
            try {
                Instant now = Instant.now();
                return new TokenRequest(tokenEndpoint, new PrivateKeyJWT(new JWTAuthenticationClaimsSet(
                        new ClientID("bench"), List.of(new Audience(tokenEndpoint)), Date.from(now.plusSeconds(240)),
                        null, Date.from(now), new JWTID()), JWSAlgorithm.ES256, key.toECPrivateKey(), key.getKeyID(),
                        null), new ClientCredentialsGrant(), null).toHTTPRequest().getBody();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        String subject = OAuthBench.field(send(http, form(tokenEndpoint.toString(), tokenForm.get(), null)),
                "access_token");
        byte[] introspect = OAuthBench.post(target, tokenPath + "/introspect", "token=" + enc(subject),
                "Authorization: Basic " + Base64.getEncoder().encodeToString(("rs:" + secret)
                        .getBytes(StandardCharsets.UTF_8)) + "\r\n");
        Supplier<byte[]> tokenBody = () -> OAuthBench.post(target, tokenPath, tokenForm.get(), "");

        List<Double> tokens = new ArrayList<>();
        List<Double> intros = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            OAuthBench.run(target, OAuthBench.presigned(tokenBody, 3 * 800), workers, 3, "keycloak warm-up tokens");
            tokens.add(OAuthBench.run(target, OAuthBench.presigned(tokenBody, seconds * 800), workers, seconds,
                    "keycloak tokens"));
            OAuthBench.run(target, () -> introspect, workers, 3, "keycloak warm-up introspections");
            intros.add(OAuthBench.run(target, () -> introspect, workers, seconds, "keycloak introspections"));
        }
        System.out.printf("{\"keycloak_tokens_per_s\":%s,\"keycloak_tokens_per_s_median\":%.0f,"
                + "\"keycloak_introspections_per_s\":%s,\"keycloak_introspections_per_s_median\":%.0f,\"workers\":%d,"
                + "\"seconds\":%d}%n", tokens, OAuthBench.median(tokens), intros, OAuthBench.median(intros), workers,
                seconds);
    }

    private static HttpRequest form(String url, String body, String bearer) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type",
                "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return b.build();
    }

    private static void json(HttpClient http, String url, String bearer, String body) throws Exception {
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type",
                "application/json").header("Authorization", "Bearer " + bearer)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() / 100 != 2) {
            throw new IllegalStateException(url + " answered " + res.statusCode() + ": " + res.body());
        }
    }

    private static String send(HttpClient http, HttpRequest req) throws Exception {
        HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new IllegalStateException(req.uri() + " answered " + res.statusCode() + ": " + res.body());
        }
        return res.body();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
