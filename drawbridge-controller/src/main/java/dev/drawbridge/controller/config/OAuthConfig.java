package dev.drawbridge.controller.config;

import java.time.Duration;

/**
 * The OAuth 2.0 authorization server. {@code issuer} is the URL clients reach the controller at (empty: the
 * listen address as {@code https://host:port}); access tokens last {@code token-lifetime}, operator tokens from
 * {@code drawbridge token} at most {@code max-token-lifetime}; a client assertion's {@code exp} may be at most
 * {@code assertion-max-ahead} ahead; the signing key changes every {@code key-rotation}; at most {@code max-clients}
 * clients may be registered.
 */
public record OAuthConfig(String issuer, Duration tokenLifetime, Duration maxTokenLifetime,
                          Duration assertionMaxAhead, Duration keyRotation, int maxClients) {
    public static OAuthConfig defaults() {
        return new OAuthConfig("", Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofMinutes(5),
                Duration.ofDays(1), 10_000);
    }
}
