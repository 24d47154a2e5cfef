package dev.drawbridge.agent;

import dev.drawbridge.protocol.TicketProof;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.TrustManager;

/**
 * The key and certificate the agent serves, swappable while the listener runs. One SSLContext is built once
 * over a key manager and a trust manager that both read {@link #current()}, so switching from the
 * self-signed identity to the enrolled one needs no listener restart (Helidon cannot reload a TLS set up
 * from an explicit SSLContext).
 */
final class TlsIdentity {
    /** A private key with its chain (leaf first); {@code enrolled} means CA-issued and mTLS required. */
    record Current(PrivateKey key, List<X509Certificate> chain, boolean enrolled) {
        Current {
            chain = List.copyOf(chain);
        }

        X509Certificate leaf() {
            return chain.getFirst();
        }
    }

    /** The agent API speaks TLS 1.3 only: both ends are ours, so nothing older needs to be offered. */
    static final List<String> PROTOCOLS = List.of("TLSv1.3");

    private final AtomicReference<Current> current;
    private final X509Certificate root;
    private final SSLContext context;
    private final List<Runnable> onSwitch = new java.util.concurrent.CopyOnWriteArrayList<>();

    TlsIdentity(Current initial, X509Certificate root) {
        this.current = new AtomicReference<>(initial);
        this.root = root;
        try {
            context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[] {new SwitchingKeyManager(current::get)},
                    new TrustManager[] {new ControllerTrustManager(root)}, null);
        } catch (GeneralSecurityException e) {
            throw new AgentException("cannot set up TLS", e);
        }
    }

    SSLContext sslContext() {
        return context;
    }

    Current current() {
        return current.get();
    }

    X509Certificate root() {
        return root;
    }

    String fingerprintHex() {
        return TicketProof.fingerprintHex(current().leaf());
    }

    /** Runs {@code action} after every switch to a new identity (a new key to announce). */
    void onSwitch(Runnable action) {
        onSwitch.add(action);
    }

    /** Serve {@code next} from the next handshake on; cached sessions of the old identity are dropped. */
    void switchTo(Current next) {
        current.set(next);
        onSwitch.forEach(Runnable::run);
        SSLSessionContext sessions = context.getServerSessionContext();
        for (var ids = sessions.getIds(); ids.hasMoreElements(); ) {
            Optional.ofNullable(sessions.getSession(ids.nextElement())).ifPresent(s -> s.invalidate());
        }
    }
}
