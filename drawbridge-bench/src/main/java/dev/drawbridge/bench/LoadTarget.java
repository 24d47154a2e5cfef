package dev.drawbridge.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;

/** Where the load goes: host, port, and a TLS context trusting the given CA file (or plain HTTP). */
record LoadTarget(String host, int port, boolean tls, SSLContext sslContext, boolean verifyHost) {
    static LoadTarget of(URI url, Path caFile, boolean verifyHost) {
        boolean tls = url.getScheme().equalsIgnoreCase("https");
        int port = url.getPort() > 0 ? url.getPort() : tls ? 443 : 80;
        try {
            SSLContext ctx = null;
            if (tls) {
                ctx = caFile == null ? SSLContext.getDefault() : TrustingTls.of(Files.readString(caFile));
            }
            return new LoadTarget(url.getHost(), port, tls, ctx, verifyHost);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot set up TLS trust from " + caFile + ": " + e.getMessage(), e);
        }
    }
}
