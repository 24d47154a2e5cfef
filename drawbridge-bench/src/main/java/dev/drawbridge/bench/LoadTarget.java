package dev.drawbridge.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Where the load goes: host, port, and a TLS context trusting the given CA file (or plain HTTP). */
record LoadTarget(String host, int port, boolean tls, SSLContext sslContext, boolean verifyHost) {
    static LoadTarget of(URI url, Path caFile, boolean verifyHost) {
        boolean tls = url.getScheme().equalsIgnoreCase("https");
        int port = url.getPort() > 0 ? url.getPort() : tls ? 443 : 80;
        try {
            SSLContext ctx = null;
            if (tls) {
                ctx = SSLContext.getInstance("TLS");
                ctx.init(null, caFile == null ? null : trust(caFile).getTrustManagers(), null);
            }
            return new LoadTarget(url.getHost(), port, tls, ctx, verifyHost);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot set up TLS trust from " + caFile + ": " + e.getMessage(), e);
        }
    }

    private static TrustManagerFactory trust(Path caFile) throws GeneralSecurityException, IOException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(caFile)) {
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        return tmf;
    }
}
