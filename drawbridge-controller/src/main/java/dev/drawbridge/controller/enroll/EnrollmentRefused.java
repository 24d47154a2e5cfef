package dev.drawbridge.controller.enroll;

/** An enrollment, ticket or revocation request was refused; {@link #reason()} says which rule refused it. */
public final class EnrollmentRefused extends RuntimeException {
    /** Each reason maps to one problem type in the API. */
    public enum Reason {
        TICKET_MALFORMED, TICKET_INVALID, TICKET_USED, TICKET_EXPIRED, IDENTITY_MISMATCH, BAD_CSR, NODE_NOT_FOUND,
        CERTIFICATE_NOT_FOUND, ALREADY_REVOKED, NODE_FENCED, RENEWAL_REFUSED
    }

    private final Reason reason;

    public EnrollmentRefused(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
