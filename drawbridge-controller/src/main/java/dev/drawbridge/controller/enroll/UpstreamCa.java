package dev.drawbridge.controller.enroll;

/**
 * The CA that signs management-console CSRs: the built-in CA, or an external one reached by command or
 * HTTP. Implementations block; {@link ConsoleSigning} runs them on virtual threads with a deadline.
 */
public interface UpstreamCa {
    /** Signs a PEM CSR and returns the certificate PEM. */
    String sign(String csrPem) throws BadCsr, NotReady, UpstreamFailure;

    /** False while the upstream cannot take work (then callers get 503 with Retry-After). */
    boolean ready();

    /** The upstream's PEM root, for {@code /ibm/v1/Host/Certificate/root}. */
    String rootPem();

    String kind();

    /** The upstream refused this CSR: the console gets 400 "Bad CSR". */
    final class BadCsr extends Exception {
        public BadCsr(String message) {
            super(message);
        }
    }

    /** The upstream cannot take work now: the console gets 503 with Retry-After. */
    final class NotReady extends Exception {
        public NotReady(String message) {
            super(message);
        }
    }

    /** The upstream failed for reasons of its own: the console gets 500. */
    final class UpstreamFailure extends Exception {
        public UpstreamFailure(String message) {
            super(message);
        }
    }
}
