package dev.drawbridge.agent;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** Client-side TLS for outgoing connections, with the JDK's own PKIX checks and host-name verification. */
final class TrustStores {
    private TrustStores() {}

    /** Trusts only {@code roots}; presents {@code keys} when the server asks. */
    static SSLContext client(List<X509Certificate> roots, KeyManager[] keys) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < roots.size(); i++) {
                store.setCertificateEntry("root-" + i, roots.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keys, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new AgentException("cannot set up client TLS", e);
        }
    }

    /** The JDK's default roots plus ours: image servers may use a public or a Drawbridge certificate. */
    static SSLContext jdkDefaultsPlus(X509Certificate root) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init((KeyStore) null);
            List<X509Certificate> roots = new ArrayList<>(List.of(root));
            for (var tm : tmf.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    roots.addAll(List.of(x.getAcceptedIssuers()));
                }
            }
            return client(roots, new KeyManager[0]);
        } catch (GeneralSecurityException e) {
            throw new AgentException("cannot read the JDK's default trust store", e);
        }
    }
}
