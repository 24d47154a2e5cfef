package dev.drawbridge.pki;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * How the CA makes its root and how long each profile's certificates live.
 *
 * @param algorithm       key type of a newly created root; default {@code EC_P256}
 * @param rootCommonName  subject CN of a newly created root; default "Drawbridge Root CA"
 * @param rootLifetime    validity of a newly created root; default 10 years (3,650 days)
 * @param lifetimes       per-profile certificate lifetime; defaults NODE 24 h, CONTROLLER 90 days,
 *                        CONSOLE_CLIENT 30 days; profiles left out take their default
 */
public record CaSettings(KeyAlgorithm algorithm, String rootCommonName, Duration rootLifetime,
                         Map<Profile, Duration> lifetimes) {
    private static final Map<Profile, Duration> DEFAULT_LIFETIMES = Map.of(
            Profile.NODE, Duration.ofHours(24),
            Profile.CONTROLLER, Duration.ofDays(90),
            Profile.CONSOLE_CLIENT, Duration.ofDays(30));

    public CaSettings {
        if (rootCommonName.isBlank()) {
            throw new PkiException("CA root common name must not be blank");
        }
        positive("root lifetime", rootLifetime);
        EnumMap<Profile, Duration> all = new EnumMap<>(DEFAULT_LIFETIMES);
        all.putAll(lifetimes);
        all.forEach((profile, d) -> positive(profile + " lifetime", d));
        lifetimes = Map.copyOf(all);
    }

    /** The documented defaults. */
    public static CaSettings defaults() {
        return new CaSettings(KeyAlgorithm.EC_P256, "Drawbridge Root CA", Duration.ofDays(3650), Map.of());
    }

    public CaSettings withAlgorithm(KeyAlgorithm value) {
        return new CaSettings(value, rootCommonName, rootLifetime, lifetimes);
    }

    public CaSettings withRootCommonName(String value) {
        return new CaSettings(algorithm, value, rootLifetime, lifetimes);
    }

    public CaSettings withLifetime(Profile profile, Duration value) {
        EnumMap<Profile, Duration> copy = new EnumMap<>(lifetimes);
        copy.put(profile, value);
        return new CaSettings(algorithm, rootCommonName, rootLifetime, copy);
    }

    /** Lifetime of a certificate issued under {@code profile}. */
    public Duration lifetime(Profile profile) {
        return lifetimes.get(profile);
    }

    private static void positive(String what, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new PkiException(what + " must be positive, got " + d);
        }
    }
}
