package dev.drawbridge.controller.enroll;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The one-time enrollment secret as handed to a node: {@code dbt1.<id>.<secret>}. Only the SHA-256 of the
 * secret is stored, and it is compared in constant time, so a leaked database row cannot enroll anything.
 */
public record TicketSecret(String id, String secret) {
    private static final Pattern FORM = Pattern.compile("dbt1\\.([A-Za-z0-9_-]{22})\\.([A-Za-z0-9_-]{43})");
    private static final SecureRandom RANDOM = new SecureRandom();

    static TicketSecret generate() {
        return new TicketSecret(random(16), random(32));
    }

    /** Parses the wire form; anything else is empty, never an exception. */
    public static Optional<TicketSecret> parse(String text) {
        var m = FORM.matcher(text);
        return m.matches() ? Optional.of(new TicketSecret(m.group(1), m.group(2))) : Optional.empty();
    }

    public String wire() {
        return "dbt1." + id + "." + secret;
    }

    byte[] hash() {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    boolean matches(byte[] storedHash) {
        return MessageDigest.isEqual(hash(), storedHash);
    }

    /** Never print the secret. */
    @Override
    public String toString() {
        return "TicketSecret[id=" + id + "]";
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
