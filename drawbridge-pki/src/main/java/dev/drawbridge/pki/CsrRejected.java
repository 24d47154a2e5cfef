package dev.drawbridge.pki;

/** A CSR was refused; {@link #reason()} says why in a form an API can map to a problem type. */
public final class CsrRejected extends PkiException {
    /** Why a CSR was refused. */
    public enum Reason { MALFORMED, BAD_SIGNATURE, WEAK_KEY, UNSUPPORTED_KEY }

    private final Reason reason;

    public CsrRejected(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
