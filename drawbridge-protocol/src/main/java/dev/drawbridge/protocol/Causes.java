package dev.drawbridge.protocol;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * The root cause of a network failure in words a user can act on (connection refused, unknown host, TLS, timeout),
 * never a bare "null": many JDK I/O exceptions carry no message of their own.
 */
public final class Causes {
    private Causes() {}

    /** The innermost cause of {@code e}. */
    public static Throwable root(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    /**
     * E.g. "connection refused", "unknown host images.example", "TLS handshake failed (PKIX path ...)": the first
     * exception along the cause chain (outermost first) that says what went wrong, else the root's class and message.
     */
    public static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String what = switch (t) {
                case ConnectException c -> "connection refused";
                case UnknownHostException u -> "unknown host " + u.getMessage();
                case HttpConnectTimeoutException h -> "timed out connecting";
                case HttpTimeoutException h -> "timed out";
                case SocketTimeoutException h -> "timed out";
                case NoRouteToHostException h -> "no route to host";
                case SSLHandshakeException h -> "TLS handshake failed";
                case SSLException h -> "TLS error";
                case CertificateException h -> "TLS certificate not trusted";
                default -> null;
            };
            if (what != null) {
                return t.getMessage() == null || t.getMessage().isBlank() || t instanceof UnknownHostException
                        || t instanceof ConnectException ? what : what + " (" + t.getMessage() + ")";
            }
        }
        Throwable r = root(e);
        return r.getMessage() == null || r.getMessage().isBlank() ? r.getClass().getSimpleName()
                : r.getClass().getSimpleName() + ": " + r.getMessage();
    }
}
