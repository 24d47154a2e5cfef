package dev.drawbridge.oauth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Access tokens: ES256-signed JWTs ({@code typ at+jwt}, RFC 9068) naming the client, its scopes and, for a
 * certificate-bound token, the certificate's thumbprint ({@code cnf.x5t#S256}, RFC 8705). {@link #check} runs on every
 * request: signature (cached per token until it expires), expiry, issuer, audience, then the revocation facts that can
 * change at any moment, read from memory: the token's id revoked, the client gone, disabled, or revoked-before.
 */
public final class AccessTokens {
    /** What checking a token found. */
    public sealed interface Check {}

    public record Valid(Caller caller) implements Check {}

    /** Refused; {@code reason} says why, for the {@code error_description} (never echoing the token). */
    public record Invalid(String reason) implements Check {}

    private static final JOSEObjectType AT_JWT = new JOSEObjectType("at+jwt");
    private static final int CACHE_LIMIT = 100_000;

    private final OAuthSettings settings;
    private final SigningKeys keys;
    private final OAuthStore store;
    private final Clients clients;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();
    /** Tokens whose signature and claims verified, until they expire: a repeat costs no signature check. */
    private final Map<String, Caller> verified = new ConcurrentHashMap<>();

    AccessTokens(OAuthSettings settings, SigningKeys keys, OAuthStore store, Clients clients, Clock clock) {
        this.settings = settings;
        this.keys = keys;
        this.store = store;
        this.clients = clients;
        this.clock = clock;
        revoked.addAll(store.revokedTokens(clock.instant()));
    }

    /** A new token for {@code client} with {@code scopes}, valid for {@code lifetime}, bound to a thumbprint if given. */
    String issue(String clientId, Set<ApiScope> scopes, Duration lifetime, Optional<String> thumbprint) {
        Instant now = clock.instant();
        byte[] id = new byte[16];
        random.nextBytes(id);
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(settings.issuer().toString())
                .subject(clientId)
                .audience(settings.issuer().toString())
                .claim("client_id", clientId)
                .claim("scope", ApiScope.join(scopes))
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(lifetime)))
                .jwtID(Base64.getUrlEncoder().withoutPadding().encodeToString(id));
        thumbprint.ifPresent(t -> claims.claim("cnf", Map.of("x5t#S256", t)));
        SigningKeys.Key key = keys.current();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(AT_JWT).keyID(key.kid()).build(),
                claims.build());
        try {
            jwt.sign(keys.signer(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign an access token", e);
        }
        return jwt.serialize();
    }

    /**
     * Checks a presented token. {@code presentedThumbprint} is the SHA-256 thumbprint of the TLS client certificate
     * of the request, if any: a certificate-bound token is refused without its certificate.
     */
    public Check check(String token, Optional<String> presentedThumbprint) {
        Instant now = clock.instant();
        Caller c = verified.get(token);
        if (c == null) {
            Check parsed = verify(token, now);
            if (!(parsed instanceof Valid valid)) {
                return parsed;
            }
            c = valid.caller();
            remember(token, c);
        }
        if (!now.isBefore(c.expiresAt())) {
            verified.remove(token);
            return new Invalid("the token expired at " + c.expiresAt());
        }
        if (revoked.contains(c.jti())) {
            return new Invalid("the token has been revoked");
        }
        Optional<OAuthClient> client = clients.find(c.clientId());
        if (client.isEmpty()) {
            return new Invalid("the token's client is no longer registered");
        }
        if (client.get().status() != OAuthClient.Status.ENABLED) {
            return new Invalid("the token's client is " + client.get().status().wire());
        }
        if (c.issuedAt().isBefore(client.get().revokedBefore())) {
            return new Invalid("the token was issued before its client's credentials were revoked");
        }
        if (c.boundThumbprint().isPresent() && !c.boundThumbprint().equals(presentedThumbprint)) {
            return new Invalid("the token is bound to a TLS client certificate that this request did not present");
        }
        return new Valid(c);
    }

    private void remember(String token, Caller c) {
        if (verified.size() >= CACHE_LIMIT) {
            Instant now = clock.instant();
            verified.values().removeIf(x -> !now.isBefore(x.expiresAt()));
            if (verified.size() >= CACHE_LIMIT) {
                verified.clear();
            }
        }
        verified.put(token, c);
    }

    private Check verify(String token, Instant now) {
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(token);
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            return new Invalid("the token is not a signed JWT");
        }
        JWSHeader h = jwt.getHeader();
        if (!JWSAlgorithm.ES256.equals(h.getAlgorithm()) || !AT_JWT.equals(h.getType()) || h.getKeyID() == null) {
            return new Invalid("the token is not an access token of this server (alg ES256, typ at+jwt, kid)");
        }
        Optional<JWSVerifier> verifier = keys.verifier(h.getKeyID());
        if (verifier.isEmpty()) {
            return new Invalid("the token's key " + h.getKeyID() + " is not one of this server's signing keys");
        }
        try {
            if (!jwt.verify(verifier.get())) {
                return new Invalid("the token's signature does not verify");
            }
        } catch (JOSEException e) {
            return new Invalid("the token's signature does not verify");
        }
        String issuer = settings.issuer().toString();
        if (!issuer.equals(claims.getIssuer()) || claims.getAudience() == null
                || !claims.getAudience().contains(issuer)) {
            return new Invalid("the token was issued for another server");
        }
        Date exp = claims.getExpirationTime();
        Date iat = claims.getIssueTime();
        String jti = claims.getJWTID();
        Object clientId = claims.getClaim("client_id");
        Object scope = claims.getClaim("scope");
        if (exp == null || iat == null || jti == null || !(clientId instanceof String) || !(scope instanceof String)) {
            return new Invalid("the token lacks exp, iat, jti, client_id or scope");
        }
        if (!now.isBefore(exp.toInstant())) {
            return new Invalid("the token expired at " + exp.toInstant());
        }
        Set<ApiScope> scopes;
        try {
            scopes = ApiScope.parseList((String) scope);
        } catch (IllegalArgumentException e) {
            return new Invalid("the token's scope is not understood: " + e.getMessage());
        }
        Optional<String> bound = Optional.empty();
        Object cnf = claims.getClaim("cnf");
        if (cnf instanceof Map<?, ?> m && m.get("x5t#S256") instanceof String t) {
            bound = Optional.of(t);
        }
        Optional<String> node = clients.find((String) clientId).flatMap(OAuthClient::nodeId);
        return new Valid(new Caller((String) clientId, scopes, jti, iat.toInstant(), exp.toInstant(), bound, node));
    }

    /** Refuses the token from now on, in memory and in the store. */
    void revoke(Caller c) {
        store.revokeToken(c.jti(), c.clientId(), c.expiresAt(), clock.instant());
        revoked.add(c.jti());
    }
}
