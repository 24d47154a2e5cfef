package dev.drawbridge.pki;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/** TLS client contexts that trust exactly the given roots (PKIX), for calls to a server whose CA we were given. */
public final class TlsContexts {
    private TlsContexts() {}

    /** A context trusting only {@code roots}; host names are checked by the HTTP client as usual. */
    public static SSLContext trusting(List<X509Certificate> roots) {
        return context(null, roots);
    }

    /**
     * A context trusting only {@code roots} that always shows {@code chain} (with {@code key}) as its client
     * certificate, whatever issuers the server names: the server decides what it makes of it (RFC 8705 binds tokens
     * to it).
     */
    public static SSLContext mutual(List<X509Certificate> roots, PrivateKey key, List<X509Certificate> chain) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a client certificate is needed");
        }
        return context(new KeyManager[] {new OneIdentity(key, chain.toArray(X509Certificate[]::new))}, roots);
    }

    private static SSLContext context(KeyManager[] keys, List<X509Certificate> roots) {
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
            TrustManager[] trust = tmf.getTrustManagers();
            ctx.init(keys, trust, null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a TLS context: " + e.getMessage(), e);
        }
    }

    /** A client key manager with one identity, offered to every server. */
    private static final class OneIdentity extends X509ExtendedKeyManager {
        private static final String ALIAS = "client";
        private final PrivateKey key;
        private final X509Certificate[] chain;

        OneIdentity(PrivateKey key, X509Certificate[] chain) {
            this.key = key;
            this.chain = chain.clone();
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {ALIAS};
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return ALIAS;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return ALIAS;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return new String[0];
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? chain.clone() : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? key : null;
        }
    }
}
