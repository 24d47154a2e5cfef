package dev.drawbridge.protocol;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The ticket proof of {@code identity.prove_ticket}: it binds an enrollment ticket to the TLS key an agent
 * serves before enrollment, so the conductor pins that key only once the agent has shown it holds the ticket.
 * The agent computes it and the controller checks it with this same code.
 *
 * <pre>
 * pinKey = HMAC-SHA256(key = UTF-8(secret), "drawbridge pin v1")
 * proof  = HMAC-SHA256(key = pinKey, nonce || SHA-256(DER SubjectPublicKeyInfo of the served certificate))
 * </pre>
 */
public final class TicketProof {
    /** Ticket text prefix: {@code dbt1.<id>.<secret>}. */
    public static final String TICKET_PREFIX = "dbt1";
    private static final byte[] PIN_LABEL = "drawbridge pin v1".getBytes(StandardCharsets.UTF_8);

    private TicketProof() {}

    /** The id part of {@code dbt1.<id>.<secret>}; throws IllegalArgumentException for any other shape. */
    public static String ticketId(String ticket) {
        return parts(ticket)[1];
    }

    /** The key the proof is made with; derived so the ticket secret itself never keys a MAC over peer data. */
    public static byte[] pinKey(String ticket) {
        return hmac(parts(ticket)[2].getBytes(StandardCharsets.UTF_8), PIN_LABEL);
    }

    public static byte[] proof(byte[] pinKey, byte[] nonce, byte[] spkiSha256) {
        byte[] message = new byte[nonce.length + spkiSha256.length];
        System.arraycopy(nonce, 0, message, 0, nonce.length);
        System.arraycopy(spkiSha256, 0, message, nonce.length, spkiSha256.length);
        return hmac(pinKey, message);
    }

    /** SHA-256 of the certificate's DER SubjectPublicKeyInfo: a key fingerprint that survives re-issuance. */
    public static byte[] fingerprint(X509Certificate certificate) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(certificate.getPublicKey().getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /** {@link #fingerprint} as lower-case hex, the form of {@code AgentStatus.tlsFingerprint}. */
    public static String fingerprintHex(X509Certificate certificate) {
        return HexFormat.of().formatHex(fingerprint(certificate));
    }

    private static String[] parts(String ticket) {
        String[] parts = ticket.split("\\.", -1);
        if (parts.length != 3 || !parts[0].equals(TICKET_PREFIX) || parts[1].isEmpty() || parts[2].isEmpty()) {
            throw new IllegalArgumentException("not a ticket of the form dbt1.<id>.<secret>");
        }
        return parts;
    }

    private static byte[] hmac(byte[] key, byte[] message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 unavailable", e);
        }
    }
}
