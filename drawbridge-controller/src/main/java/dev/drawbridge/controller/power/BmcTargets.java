package dev.drawbridge.controller.power;

import dev.drawbridge.controller.config.FencingConfig;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.pki.Pem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A node's BMC as a {@link BmcTarget}: its {@code bmc_address} (host, host:port or [v6]:port; the driver's port
 * when none is given), the node's own BMC user and password reference or else the fleet's ({@code fencing.*}). The
 * password is read here, only when a driver is about to use it. Also the TLS trust the Redfish driver uses for BMC
 * certificates ({@code fencing.redfish-ca-file}).
 */
public final class BmcTargets {
    private BmcTargets() {}

    /** The target for {@code node}; an IllegalStateException says what is missing (no address, an unreadable password). */
    public static BmcTarget of(Node node, FencingConfig cfg, int defaultPort) {
        String address = node.bmcAddress().orElseThrow(() -> new IllegalStateException(node.name()
                + " has no bmc_address"));
        int colon = address.lastIndexOf(':');
        boolean hasPort = colon > 0 && address.indexOf(':') == colon || address.startsWith("[") && address.contains("]:");
        String host = hasPort ? address.substring(0, colon).replace("[", "").replace("]", "") : address;
        int port;
        try {
            port = hasPort ? Integer.parseInt(address.substring(colon + 1)) : defaultPort;
        } catch (NumberFormatException e) {
            throw new IllegalStateException(node.name() + "'s bmc_address has no valid port: " + address);
        }
        return new BmcTarget(host, port, node.bmcUsername().orElse(cfg.bmcUsername()), Secret.of(password(node, cfg)))
                .withOption("cipher-suite", cfg.ipmiCipher()).withOption("agent", cfg.fenceAgent());
    }

    /**
     * The node's own BMC password when it has a reference ({@code file:/path} or {@code env:NAME}), else the fleet's
     * {@code fencing.bmc-password-file}. The reference is stored; the password is read only here.
     */
    public static String password(Node node, FencingConfig cfg) {
        if (node.bmcPasswordRef().isPresent()) {
            String ref = node.bmcPasswordRef().get();
            if (ref.startsWith("env:")) {
                return Optional.ofNullable(System.getenv(ref.substring(4))).orElseThrow(() ->
                        new IllegalStateException("the BMC password variable " + ref.substring(4) + " is not set"));
            }
            try {
                return Files.readString(Path.of(ref.substring(5))).strip();
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the BMC password file " + ref.substring(5) + ": "
                        + e.getClass().getSimpleName());
            }
        }
        if (cfg.bmcPasswordFile().isBlank()) {
            return "";
        }
        try {
            return Files.readString(Path.of(cfg.bmcPasswordFile())).strip();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read fencing.bmc-password-file: " + e.getMessage());
        }
    }

    /**
     * The trust for BMC certificates: the PEM bundle {@code fencing.redfish-ca-file}, or the JDK's store when it is
     * empty. An IllegalStateException names the file and what is wrong with it.
     */
    public static SSLContext redfishTrust(FencingConfig cfg) {
        if (cfg.redfishCaFile().isBlank()) {
            return PowerDrivers.defaultTrust();
        }
        try {
            List<X509Certificate> cas = Pem.certificates(Files.readString(Path.of(cfg.redfishCaFile())));
            if (cas.isEmpty()) {
                throw new IllegalStateException("fencing.redfish-ca-file " + cfg.redfishCaFile()
                        + " holds no certificate");
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                store.setCertificateEntry("bmc-ca-" + i, cas.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, tmf.getTrustManagers(), null);
            return tls;
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot read fencing.redfish-ca-file " + cfg.redfishCaFile() + ": "
                    + e.getMessage());
        }
    }
}
