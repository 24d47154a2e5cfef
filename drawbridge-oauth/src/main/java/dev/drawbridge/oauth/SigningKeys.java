package dev.drawbridge.oauth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ES256 keys that sign access tokens. One signs at a time; after {@code rotation} a new one takes over and the
 * old one is retired but stays published in the JWKS, and keeps verifying, until every token it signed has expired
 * ({@code tokenLifetime} after retirement). Keys live in a {@link KeyVault}, which keeps them sealed at rest.
 */
public final class SigningKeys {
    /** A signing key: its JWK (with the private part), when it was made, and when it stopped signing. */
    public record Key(ECKey jwk, Instant created, Optional<Instant> retired) {
        public String kid() {
            return jwk.getKeyID();
        }
    }

    /** Where the keys are kept. Implementations seal the private part at rest. */
    public interface KeyVault {
        List<Key> load();

        void add(Key key);

        void retire(String kid, Instant at);

        void remove(String kid);
    }

    private final KeyVault vault;
    private final Duration rotation;
    private final Duration tokenLifetime;
    private final Clock clock;
    private volatile List<Key> keys;
    private final Map<String, JWSSigner> signers = new ConcurrentHashMap<>();
    private final Map<String, JWSVerifier> verifiers = new ConcurrentHashMap<>();

    private SigningKeys(KeyVault vault, Duration rotation, Duration tokenLifetime, Clock clock) {
        this.vault = vault;
        this.rotation = rotation;
        this.tokenLifetime = tokenLifetime;
        this.clock = clock;
        this.keys = sorted(vault.load());
    }

    /** The keys in {@code vault}, with a first one made if there is none. */
    public static SigningKeys open(KeyVault vault, Duration rotation, Duration tokenLifetime, Clock clock) {
        SigningKeys k = new SigningKeys(vault, rotation, tokenLifetime, clock);
        k.current();
        return k;
    }

    /** The key that signs now, rotating first when it has signed for {@code rotation}. */
    public Key current() {
        Optional<Key> active = fresh(keys);
        if (active.isPresent()) {
            return active.get();
        }
        synchronized (this) {
            // Another controller sharing the store may have rotated already: take its key rather than make a second.
            reload();
            Optional<Key> now = fresh(keys);
            if (now.isPresent()) {
                return now.get();
            }
            Optional<Key> newest = keys.stream().filter(k -> k.retired().isEmpty()).findFirst();
            // Rotation left to one holder of a lease: sign with the newest key until it rotates (there is always one).
            return newest.isPresent() && !rotateOnDemand ? newest.get() : rotate();
        }
    }

    /** Whether {@link #current} may rotate by itself; off when rotation is a singleton duty ({@link #rotateIfDue}). */
    private volatile boolean rotateOnDemand = true;

    /**
     * Leaves rotation to {@link #rotateIfDue}, for controllers sharing a store: one of them rotates, under a lease,
     * and the others take its key. A key past its time keeps signing until then.
     */
    public void rotateOnlyWhenAsked() {
        rotateOnDemand = false;
    }

    /** Rotates if the signing key (as the vault has it now) has signed for its whole time; whether it did. */
    public synchronized boolean rotateIfDue() {
        reload();
        if (fresh(keys).isPresent()) {
            return false;
        }
        rotate();
        return true;
    }

    /** Nanos of the last reload from the vault, so a flood of unknown kids cannot make one store read each. */
    private volatile long lastReload = System.nanoTime() - RELOAD_EVERY_NANOS;
    private static final long RELOAD_EVERY_NANOS = 1_000_000_000L;

    /** Reads the keys from the vault again: those another controller on the same store made, retired or dropped. */
    private synchronized void reload() {
        keys = sorted(vault.load());
        lastReload = System.nanoTime();
    }

    private Optional<Key> fresh(List<Key> held) {
        Instant now = clock.instant();
        return held.stream().filter(k -> k.retired().isEmpty()).findFirst()
                .filter(k -> now.isBefore(k.created().plus(rotation)));
    }

    /** Makes a new signing key and retires the one before it; drops keys whose tokens have all expired. */
    public synchronized Key rotate() {
        Instant now = clock.instant();
        Key fresh;
        try {
            fresh = new Key(new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
                    .keyIDFromThumbprint(true).generate(), now, Optional.empty());
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot make a P-256 signing key", e);
        }
        vault.add(fresh);
        List<Key> next = new ArrayList<>();
        next.add(fresh);
        for (Key k : keys) {
            if (k.retired().isEmpty()) {
                vault.retire(k.kid(), now);
                next.add(new Key(k.jwk(), k.created(), Optional.of(now)));
            } else if (k.retired().get().plus(tokenLifetime).isAfter(now)) {
                next.add(k);
            } else {
                vault.remove(k.kid());
                signers.remove(k.kid());
                verifiers.remove(k.kid());
            }
        }
        keys = sorted(next);
        return fresh;
    }

    /** A signer for the current key. */
    JWSSigner signer(Key key) {
        return signers.computeIfAbsent(key.kid(), kid -> {
            try {
                return new ECDSASigner(key.jwk());
            } catch (JOSEException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /**
     * The verifier for {@code kid}, while that key is still published. An unknown kid may be a key another controller
     * on the same store made since this one last looked: the vault is read again, at most once a second.
     */
    Optional<JWSVerifier> verifier(String kid) {
        if (keys.stream().noneMatch(k -> k.kid().equals(kid)) && System.nanoTime() - lastReload > RELOAD_EVERY_NANOS) {
            reload();
        }
        Instant now = clock.instant();
        return keys.stream().filter(k -> k.kid().equals(kid) && published(k, now)).findFirst()
                .map(k -> verifiers.computeIfAbsent(kid, x -> {
                    try {
                        return new ECDSAVerifier(k.jwk().toECPublicKey());
                    } catch (JOSEException e) {
                        throw new IllegalStateException(e);
                    }
                }));
    }

    /** The public keys a verifier needs: the signing one and every retired one whose tokens may still be live. */
    public JWKSet publicSet() {
        Instant now = clock.instant();
        List<JWK> pub = new ArrayList<>();
        for (Key k : keys) {
            if (published(k, now)) {
                pub.add(k.jwk().toPublicJWK());
            }
        }
        return new JWKSet(pub);
    }

    private boolean published(Key k, Instant now) {
        return k.retired().isEmpty() || k.retired().get().plus(tokenLifetime).isAfter(now);
    }

    private static List<Key> sorted(List<Key> in) {
        List<Key> out = new ArrayList<>(in);
        out.sort(Comparator.comparing(Key::created).reversed());
        return List.copyOf(out);
    }
}
