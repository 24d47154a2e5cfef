package dev.drawbridge.controller;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One key and certificate for every TLS context of the controller, renewed in place: at each handshake, once
 * two-thirds of the certificate's lifetime (counted from when it was issued) has passed, a new key and certificate
 * are made and used from that handshake on. Each generation has its own alias, so a handshake that chose an alias
 * just before a renewal still gets the matching key and chain.
 */
final class RenewingKeyManager extends X509ExtendedKeyManager {
    private static final Logger LOG = LoggerFactory.getLogger(RenewingKeyManager.class);

    /** A private key with its chain, leaf first. */
    record Identity(PrivateKey key, X509Certificate[] chain) {}

    private record Generation(String alias, Identity identity, Instant renewAt) {}

    private final Supplier<Identity> issue;
    private final Clock clock;
    private volatile Generation current;
    /** The one before: a handshake that chose its alias just before a renewal still finds its key. */
    private volatile Generation previous;
    private int generation;

    RenewingKeyManager(Supplier<Identity> issue, Clock clock) {
        this.issue = issue;
        this.clock = clock;
        this.current = next();
        this.previous = current;
    }

    private Generation next() {
        Instant now = clock.instant();
        Identity id = issue.get();
        Duration left = Duration.between(now, id.chain()[0].getNotAfter().toInstant());
        return new Generation("controller-" + (++generation), id, now.plus(left.multipliedBy(2).dividedBy(3)));
    }

    /** The alias of the identity to use now, renewing it first when it is due. */
    String alias() {
        Generation g = current;
        if (clock.instant().isBefore(g.renewAt())) {
            return g.alias();
        }
        synchronized (this) {
            if (current == g) {
                previous = g;
                current = next();
                LOG.info("renewed the controller's TLS certificate: serial {} until {}",
                        current.identity().chain()[0].getSerialNumber().toString(16),
                        current.identity().chain()[0].getNotAfter().toInstant());
            }
            return current.alias();
        }
    }

    private Identity identity(String alias) {
        Generation c = current;
        Generation p = previous;
        return c.alias().equals(alias) ? c.identity() : p.alias().equals(alias) ? p.identity() : null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return new String[] {alias()};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return alias();
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return alias();
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return new String[] {alias()};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return keyType.startsWith("EC") ? alias() : null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return keyType.startsWith("EC") ? alias() : null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Identity id = identity(alias);
        return id == null ? null : id.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Identity id = identity(alias);
        return id == null ? null : id.key();
    }
}
