package dev.drawbridge.agent;

import dev.drawbridge.pki.CaKeyStores;
import dev.drawbridge.pki.CaSettings;
import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.IssuedCertificate;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/** A test CA in a temp directory, bootstrap payloads signed by it, and client TLS contexts. */
final class TestPki {
    static final String TICKET = "dbt1.0123456789abcdef.c2VjcmV0LXRpY2tldC1zZWNyZXQ";
    final CertificateAuthority ca;
    final Path dir;

    TestPki(Path dir) {
        this.dir = dir;
        this.ca = CertificateAuthority.open(CaKeyStores.pkcs12(dir.resolve("ca.p12"), "pw".toCharArray()),
                CaSettings.defaults());
    }

    Map<String, Object> payloadFields(String nodeName) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("v", 1);
        p.put("node_id", "node-" + nodeName);
        p.put("node_name", nodeName);
        p.put("root_ca", ca.rootPem());
        p.put("ticket", TICKET);
        p.put("issued_at", Instant.now().toString());
        p.put("mode", "poll");
        p.put("time", Instant.now().toString());
        return p;
    }

    Path payloadFile(Map<String, Object> fields) {
        return write("payload.jws", ca.signJws(json(fields)));
    }

    Path path(String name) {
        return dir.resolve(name);
    }

    Path write(String name, String text) {
        try {
            return Files.writeString(dir.resolve(name), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String json(Object value) {
        try {
            return Wire.JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Trusts any server (the test inspects the certificate itself); presents a cert of {@code profile} if given. */
    SSLContext client(Optional<Profile> profile) {
        try {
            KeyManager[] keys = new KeyManager[0];
            if (profile.isPresent()) {
                KeyPair kp = Keys.generate();
                IssuedCertificate cert = ca.issue(new IssueRequest(profile.get(), profile.get().name().toLowerCase(),
                        List.of("localhost"), List.of(), kp.getPublic()));
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry("client", kp.getPrivate(), new char[0],
                        new Certificate[] {cert.certificate(), ca.root()});
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, new char[0]);
                keys = kmf.getKeyManagers();
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keys, new TrustManager[] {new TrustAll()}, null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The conductor before pinning: it cannot verify a fresh agent, so it trusts and records the key. */
    static final class TrustAll extends X509ExtendedTrustManager {
        @Override public void checkClientTrusted(X509Certificate[] c, String a) { }
        @Override public void checkServerTrusted(X509Certificate[] c, String a) { }
        @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        @Override public void checkClientTrusted(X509Certificate[] c, String a, Socket s) { }
        @Override public void checkServerTrusted(X509Certificate[] c, String a, Socket s) { }
        @Override public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) { }
        @Override public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) { }
    }
}
