package dev.drawbridge.oauth;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pending device authorizations (RFC 8628): a client asks, an operator approves or denies at {@code /device} with
 * the user code, and the client's polls with the device code learn the outcome. Held in memory, {@link #LIFETIME}
 * each and at most {@link #MAX_PENDING} at once: a restart forgets them, and the client starts again.
 */
final class DeviceFlow {
    static final Duration LIFETIME = Duration.ofMinutes(10);
    static final Duration INTERVAL = Duration.ofSeconds(5);
    static final int MAX_PENDING = 1000;
    /** Pending requests one client may hold at once, so one client cannot use up {@link #MAX_PENDING}. */
    static final int MAX_PER_CLIENT = 3;
    /** RFC 8628 §6.1: no vowels (no words), no lookalikes; 20^8 codes. */
    private static final char[] USER_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ".toCharArray();

    enum State { PENDING, APPROVED, DENIED }

    /** One request: who asked for what, until when, and what the operator decided. */
    record Request(String deviceCode, String userCode, String clientId, Set<ApiScope> scopes, Instant expires,
                   State state, Optional<String> decidedBy, Instant lastPoll) {
        Request with(State s, String by) {
            return new Request(deviceCode, userCode, clientId, scopes, expires, s, Optional.of(by), lastPoll);
        }

        Request polled(Instant at) {
            return new Request(deviceCode, userCode, clientId, scopes, expires, state, decidedBy, at);
        }
    }

    /** What a poll found. */
    sealed interface Poll {}

    record Waiting(boolean tooFast) implements Poll {}

    record Approved(Set<ApiScope> scopes) implements Poll {}

    record Denied() implements Poll {}

    record Expired() implements Poll {}

    record Unknown() implements Poll {}

    private final Map<String, Request> byDeviceCode = new ConcurrentHashMap<>();
    private final Map<String, String> byUserCode = new ConcurrentHashMap<>();
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    DeviceFlow(Clock clock) {
        this.clock = clock;
    }

    /** A new request, or empty when {@link #MAX_PENDING} are pending, or the client holds {@link #MAX_PER_CLIENT}. */
    Optional<Request> start(String clientId, Set<ApiScope> scopes) {
        Instant now = clock.instant();
        byDeviceCode.values().removeIf(r -> !now.isBefore(r.expires()));
        byUserCode.values().removeIf(code -> !byDeviceCode.containsKey(code));
        if (byDeviceCode.size() >= MAX_PENDING
                || byDeviceCode.values().stream().filter(r -> r.clientId().equals(clientId)).count() >= MAX_PER_CLIENT) {
            return Optional.empty();
        }
        byte[] b = new byte[32];
        random.nextBytes(b);
        String deviceCode = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        String userCode;
        do {
            userCode = userCode();
        } while (byUserCode.putIfAbsent(userCode, deviceCode) != null);
        Request r = new Request(deviceCode, userCode, clientId, scopes, now.plus(LIFETIME), State.PENDING,
                Optional.empty(), Instant.EPOCH);
        byDeviceCode.put(deviceCode, r);
        return Optional.of(r);
    }

    /** A client's poll with its device code. */
    Poll poll(String deviceCode, String clientId) {
        Instant now = clock.instant();
        Request r = byDeviceCode.get(deviceCode);
        if (r == null || !r.clientId().equals(clientId)) {
            return new Unknown();
        }
        if (!now.isBefore(r.expires())) {
            forget(r);
            return new Expired();
        }
        boolean tooFast = Duration.between(r.lastPoll(), now).compareTo(INTERVAL) < 0;
        byDeviceCode.put(deviceCode, r.polled(now));
        return switch (r.state()) {
            case PENDING -> new Waiting(tooFast);
            case APPROVED -> {
                forget(r);
                yield new Approved(r.scopes());
            }
            case DENIED -> {
                forget(r);
                yield new Denied();
            }
        };
    }

    /** The pending request a user code names, if it is still pending. */
    Optional<Request> find(String userCode) {
        Instant now = clock.instant();
        return Optional.ofNullable(byUserCode.get(normalise(userCode))).map(byDeviceCode::get)
                .filter(r -> now.isBefore(r.expires()) && r.state() == State.PENDING);
    }

    /** Records the operator's decision; false when the code names no pending request. */
    boolean decide(String userCode, boolean approve, String operator) {
        Optional<Request> r = find(userCode);
        if (r.isEmpty()) {
            return false;
        }
        byDeviceCode.put(r.get().deviceCode(), r.get().with(approve ? State.APPROVED : State.DENIED, operator));
        return true;
    }

    private void forget(Request r) {
        byDeviceCode.remove(r.deviceCode());
        byUserCode.remove(r.userCode());
    }

    private String userCode() {
        StringBuilder b = new StringBuilder(9);
        for (int i = 0; i < 8; i++) {
            if (i == 4) {
                b.append('-');
            }
            b.append(USER_ALPHABET[random.nextInt(USER_ALPHABET.length)]);
        }
        return b.toString();
    }

    /** A user code as typed: case and separators do not matter. */
    static String normalise(String typed) {
        String s = typed.toUpperCase(Locale.ROOT).replaceAll("[^A-Z]", "");
        return s.length() == 8 ? s.substring(0, 4) + "-" + s.substring(4) : s;
    }
}
