package dev.drawbridge.pki;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** TLS client contexts that trust exactly the given roots (PKIX), for calls to a server whose CA we were given. */
public final class TlsContexts {
    private TlsContexts() {}

    /** A context trusting only {@code roots}; host names are checked by the HTTP client as usual. */
    public static SSLContext trusting(List<X509Certificate> roots) {
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("at least one root certificate is needed");
        }
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            for (int i = 0; i < roots.size(); i++) {
                ks.setCertificateEntry("root-" + i, roots.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a TLS context: " + e.getMessage(), e);
        }
    }
}
