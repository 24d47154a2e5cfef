package dev.drawbridge.controller;

import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.IssuedCertificate;
import dev.drawbridge.pki.Profile;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The controller's own TLS identity: a fresh key at every start (never written to disk) with a
 * certificate from our CA under the controller profile, naming localhost, the host name and the listen address.
 */
final class ServerIdentity {
    private ServerIdentity() {}

    static SSLContext sslContext(CertificateAuthority ca, String listenHost) {
        try {
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
            kpg.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair kp = kpg.generateKeyPair();
            Set<String> dns = new LinkedHashSet<>(List.of("localhost"));
            String host = InetAddress.getLocalHost().getHostName();
            dns.add(host.toLowerCase(java.util.Locale.ROOT));
            Set<String> ips = new LinkedHashSet<>(List.of("127.0.0.1", "0:0:0:0:0:0:0:1"));
            if (!listenHost.isBlank() && Character.digit(listenHost.charAt(0), 16) >= 0 && listenHost.matches("[0-9a-fA-F.:]+")) {
                ips.add(InetAddress.getByName(listenHost).getHostAddress());
            } else if (!listenHost.isBlank()) {
                dns.add(listenHost);
            }
            IssuedCertificate cert = ca.issue(new IssueRequest(Profile.CONTROLLER, host, new ArrayList<>(dns),
                    new ArrayList<>(ips), kp.getPublic()));
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] pass = new char[0];
            ks.setKeyEntry("server", kp.getPrivate(), pass, new Certificate[] {cert.certificate(), ca.root()});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pass);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot make the controller's TLS identity: " + e.getMessage(), e);
        }
    }
}
