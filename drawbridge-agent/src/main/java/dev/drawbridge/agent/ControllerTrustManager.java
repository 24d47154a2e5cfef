package dev.drawbridge.agent;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Client certificates: a presented chain must lead to the payload root, or the handshake fails, enrolled or not.
 * A client that presents none completes the handshake and is refused per request with a 403 that says why
 * ({@link ClientCerts}), which also decides whether the client is a controller.
 */
final class ControllerTrustManager extends X509ExtendedTrustManager {
    private final X509Certificate root;

    ControllerTrustManager(X509Certificate root) {
        this.root = root;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
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
        return new X509Certificate[] {root};
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
