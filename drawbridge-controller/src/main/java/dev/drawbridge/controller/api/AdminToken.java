package dev.drawbridge.controller.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The admin bearer token. Only its SHA-256 is held in memory after start, and presented tokens are
 * compared by digest in constant time so timing reveals nothing about the secret.
 */
public final class AdminToken {
    private final byte[] digest;

    public AdminToken(String token) {
        this.digest = sha256(token);
    }

    public boolean matches(String presented) {
        return MessageDigest.isEqual(digest, sha256(presented));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "AdminToken[redacted]";
    }
}
