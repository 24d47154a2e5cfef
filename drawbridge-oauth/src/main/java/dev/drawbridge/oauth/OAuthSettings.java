package dev.drawbridge.oauth;

import java.net.URI;
import java.time.Duration;

/**
 * How the authorization server behaves.
 *
 * @param issuer            the issuer identifier: the controller's base URL ({@code https://host:port}); the
 *                          endpoints live under it
 * @param tokenLifetime     how long an access token lasts (default 5 minutes)
 * @param maxTokenLifetime  the longest an operator may ask for with {@code drawbridge token} (default 1 hour)
 * @param assertionMaxAhead how far ahead of now a client assertion's {@code exp} may be (default 5 minutes)
 * @param keyRotation       how long a signing key signs before a new one takes over (default 1 day); the old
 *                          one stays published until the tokens it signed have expired
 * @param maxClients        how many clients may be registered at once (default 10,000)
 */
public record OAuthSettings(URI issuer, Duration tokenLifetime, Duration maxTokenLifetime, Duration assertionMaxAhead,
                            Duration keyRotation, int maxClients) {
    public OAuthSettings {
        if (issuer.getPath() != null && !issuer.getPath().isEmpty() && !issuer.getPath().equals("/")) {
            throw new IllegalArgumentException("the issuer has no path, only scheme, host and port: " + issuer);
        }
        positive("token lifetime", tokenLifetime);
        positive("maximum token lifetime", maxTokenLifetime);
        positive("assertion max-ahead", assertionMaxAhead);
        positive("key rotation", keyRotation);
        if (maxTokenLifetime.compareTo(tokenLifetime) < 0) {
            throw new IllegalArgumentException("the maximum token lifetime is shorter than the default lifetime");
        }
        if (maxClients < 1) {
            throw new IllegalArgumentException("max clients must be at least 1");
        }
    }

    /** The defaults for a controller at {@code issuer}. */
    public static OAuthSettings defaults(URI issuer) {
        return new OAuthSettings(issuer, Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofMinutes(5),
                Duration.ofDays(1), 10_000);
    }

    /** An endpoint under the issuer, e.g. {@code /oauth2/token}. */
    public URI endpoint(String path) {
        String base = issuer.toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path);
    }

    private static void positive(String what, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, was " + d);
        }
    }
}
