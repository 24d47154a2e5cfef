package dev.drawbridge.controller.config;

import java.time.Duration;

/**
 * Enrollment: how long a one-time ticket stays valid after it is made ({@code ticket-lifetime}); for the
 * virtual-media channel, how long the one-time URL of a config-drive image stays fetchable
 * ({@code media-url-lifetime}) and the base URL a BMC fetches it from ({@code media-base-url}, empty: the URL the
 * controller serves, which a BMC can reach only if it shares the network).
 */
public record EnrollmentConfig(Duration ticketLifetime, Duration mediaUrlLifetime, String mediaBaseUrl) {
    public EnrollmentConfig {
        if (mediaUrlLifetime.isNegative() || mediaUrlLifetime.isZero()) {
            throw new ConfigException("enrollment.media-url-lifetime must be positive, not " + mediaUrlLifetime);
        }
        if (mediaUrlLifetime.compareTo(Duration.ofHours(24)) > 0) {
            throw new ConfigException("enrollment.media-url-lifetime must be at most 24h: the URL is a credential");
        }
        if (!mediaBaseUrl.isEmpty() && !mediaBaseUrl.matches("https://[^/?#\\s]+")) {
            throw new ConfigException("enrollment.media-base-url must be https://HOST[:PORT] with no path, not '"
                    + mediaBaseUrl + "'");
        }
    }

    public static EnrollmentConfig defaults() {
        return new EnrollmentConfig(Duration.ofHours(1), Duration.ofMinutes(10), "");
    }

    public EnrollmentConfig withMedia(Duration urlLifetime, String baseUrl) {
        return new EnrollmentConfig(ticketLifetime, urlLifetime, baseUrl);
    }
}
