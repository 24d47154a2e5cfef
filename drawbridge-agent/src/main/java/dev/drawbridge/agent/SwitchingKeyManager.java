package dev.drawbridge.agent;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Offers whatever identity is current under one alias. As a client (callback heartbeats) it offers the
 * identity only once enrolled: a self-signed certificate would mean nothing to the controller.
 */
final class SwitchingKeyManager extends X509ExtendedKeyManager {
    private static final String ALIAS = "agent";
    private final Supplier<TlsIdentity.Current> current;

    SwitchingKeyManager(Supplier<TlsIdentity.Current> current) {
        this.current = current;
    }

    private String aliasFor(String keyType) {
        return current.get().key().getAlgorithm().equalsIgnoreCase(keyType) ? ALIAS : null;
    }

    private String aliasFor(String[] keyTypes) {
        if (!current.get().enrolled()) {
            return null;
        }
        for (String type : keyTypes) {
            if (aliasFor(type) != null) {
                return ALIAS;
            }
        }
        return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return aliasFor(keyType);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return aliasFor(keyType);
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return aliasFor(keyTypes);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return aliasFor(keyTypes);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return aliasFor(keyType) == null ? null : new String[] {ALIAS};
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return aliasFor(new String[] {keyType}) == null ? null : new String[] {ALIAS};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? current.get().chain().toArray(X509Certificate[]::new) : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? current.get().key() : null;
    }
}
