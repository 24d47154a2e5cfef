package dev.drawbridge.controller;

import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.IssuedCertificate;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.protocol.HostName;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The controller's own TLS identity: a fresh key at every start (never written to disk) with a
 * certificate from our CA under the controller profile, renewed with a new key once two-thirds of its lifetime
 * has passed ({@link RenewingKeyManager}). It serves the API, and it is the client certificate the conductor
 * shows to agents, enrolled or not.
 */
record ServerIdentity(SSLContext server, SSLContext agentPinning, SSLContext agentMutual) {

    static ServerIdentity create(CertificateAuthority ca, String listenHost) {
        try {
            Set<String> dns = new LinkedHashSet<>(List.of("localhost"));
            String host = HostName.local();
            dns.add(host);
            Set<String> ips = new LinkedHashSet<>(List.of("127.0.0.1", "0:0:0:0:0:0:0:1"));
            if (listenHost.matches("[0-9.]+") || listenHost.contains(":")) {
                ips.add(InetAddress.getByName(listenHost).getHostAddress());
            } else if (!listenHost.isBlank()) {
                dns.add(listenHost);
            }
            KeyManager[] keys = {new RenewingKeyManager(() -> {
                KeyPair kp = newKey();
                IssuedCertificate cert = ca.issue(new IssueRequest(Profile.CONTROLLER, host, new ArrayList<>(dns),
                        new ArrayList<>(ips), kp.getPublic()));
                return new RenewingKeyManager.Identity(kp.getPrivate(),
                        new X509Certificate[] {cert.certificate(), ca.root()});
            }, Clock.systemUTC())};
            X509TrustManager roots = rootTrust(ca.root());
            // The listener lets any client certificate within its validity through the handshake, and each use
            // decides what it proves: a callback must chain to our root (AgentApiRoutes), tls_client_auth must be the
            // registered certificate, a bound token must be presented with its own, and a registration's chain is
            // judged by the trust policy. A peer from another CA (RFC 8705's self-signed mode) can thus connect before
            // it is known. Agents obey only a controller certificate from the first connection, so the conductor's
            // contexts present ours too.
            return new ServerIdentity(context(keys, new AnyCurrentClient()), context(keys, new AcceptAny()),
                    context(keys, new RootOnly(roots)));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot make the controller's TLS identity: " + e.getMessage(), e);
        }
    }

    private static KeyPair newKey() {
        try {
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
            kpg.initialize(new ECGenParameterSpec("secp256r1"));
            return kpg.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a controller key: " + e.getMessage(), e);
        }
    }

    private static SSLContext context(KeyManager[] keys, X509ExtendedTrustManager trust) throws GeneralSecurityException {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(keys, trust == null ? null : new TrustManager[] {trust}, null);
        return ctx;
    }

    private static X509TrustManager rootTrust(X509Certificate root) throws GeneralSecurityException, IOException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("root", root);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(ks);
        return (X509TrustManager) tmf.getTrustManagers()[0];
    }

    /**
     * Trusts certificates that chain to our root, without host-name checks: agents are identified by
     * the node name in their certificate, which the conductor checks on every reply.
     */
    private static final class RootOnly extends X509ExtendedTrustManager {
        private final X509TrustManager delegate;

        RootOnly(X509TrustManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("the conductor's client context takes no clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket s) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }

    /**
     * The API listener's: a client certificate passes the handshake when its leaf is within its validity; nothing
     * else is decided here (see {@link #create}). No issuers are named, so a client may show any certificate.
     */
    private static final class AnyCurrentClient extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("an empty client certificate chain");
            }
            chain[0].checkValidity();
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket s) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("the listener's context trusts no servers");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /**
     * For agents not yet enrolled: any key is accepted at the TLS layer and the conductor pins the key
     * only after the agent proves its ticket bound to that key (DESIGN.md, "Pinning handshake").
     */
    private static final class AcceptAny extends X509ExtendedTrustManager {
        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            // Deliberately open: see the class comment.
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s) {
            // Deliberately open: see the class comment.
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e) {
            // Deliberately open: see the class comment.
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("the conductor's client context takes no clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket s) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
