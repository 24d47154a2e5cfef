package dev.drawbridge.agent;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Client certificates: before enrollment any client may call (the conductor cannot verify us yet, and client
 * certificates are ignored); once enrolled a presented chain must lead to the payload root, or the handshake
 * fails. Whether the client is a controller is decided per request by {@link ClientCertFilter}.
 */
final class ControllerTrustManager extends X509ExtendedTrustManager {
    private final Supplier<TlsIdentity.Current> current;
    private final X509Certificate root;

    ControllerTrustManager(Supplier<TlsIdentity.Current> current, X509Certificate root) {
        this.current = current;
        this.root = root;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        if (current.get().enrolled()) {
            check(chain);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        // Outgoing connections use TrustStores, which also verify host names.
        throw new CertificateException("the listener's trust manager does not check servers");
    }

    private void check(X509Certificate[] chain) throws CertificateException {
        var problem = Chains.problem(List.of(chain), root);
        if (problem.isPresent()) {
            throw new CertificateException("peer certificate does not chain to the payload root: " + problem.get());
        }
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        // Naming the root in CertificateRequest lets a controller's client pick its certificate.
        return current.get().enrolled() ? new X509Certificate[] {root} : new X509Certificate[0];
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkServerTrusted(chain, authType);
    }
}
