package dev.drawbridge.attestation;

/** A TPM structure could not be parsed or used; the message names the structure and field at fault. */
public final class AttestationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public AttestationException(String message) {
        super(message);
    }

    public AttestationException(String message, Throwable cause) {
        super(message, cause);
    }
}
