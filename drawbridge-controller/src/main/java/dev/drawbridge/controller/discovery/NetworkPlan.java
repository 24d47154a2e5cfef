package dev.drawbridge.controller.discovery;

import dev.drawbridge.controller.config.NetworkConfig;
import dev.drawbridge.controller.inventory.Node;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * The chassis-internal network as radvd should advertise it ({@code drawbridge network plan}): one /64 for SLAAC,
 * stable across restarts and shared by both controllers of an active/standby pair (by default a ULA prefix, RFC 4193,
 * whose 40-bit global id is taken from the SHA-256 of the CA root's public key, so both controllers of one
 * installation compute the same one), the pair's preference as an RFC 4191 route for the ULA /48 (high on the
 * active controller, low on the standby), no default route (the internal network leads nowhere else), and the
 * address each inventory node's MACs will take by SLAAC (modified EUI-64).
 */
public final class NetworkPlan {
    /** One address a node is expected to take. */
    public record Expected(String node, String mac, String address) {}

    /** The plan: the prefix, the interface, the pair role and its preference, radvd.conf, and expected addresses. */
    public record Plan(String prefix, String iface, String pairRole, String preference, String radvdConf,
                       List<Expected> expected) {
        public Plan {
            expected = List.copyOf(expected);
        }
    }

    private NetworkPlan() {}

    public static Plan make(NetworkConfig cfg, X509Certificate root, List<Node> nodes) {
        byte[] prefix = prefix(cfg, root);
        String prefixText = text(prefix) + "/64";
        String preference = switch (cfg.pairRole()) {
            case "active" -> "high";
            case "standby" -> "low";
            case "single" -> "medium";
            default -> throw new IllegalArgumentException("network.pair-role must be active, standby or single, not '"
                    + cfg.pairRole() + "'");
        };
        if (!cfg.iface().matches("[A-Za-z0-9_.:-]{1,15}")) {
            throw new IllegalArgumentException("network.iface '" + cfg.iface() + "' is not an interface name");
        }
        byte[] site = new byte[16];
        System.arraycopy(prefix, 0, site, 0, 6);
        String conf = "# radvd.conf for the chassis-internal network, from drawbridge network plan.\n"
                + "# This controller is '" + cfg.pairRole() + "'" + switch (cfg.pairRole()) {
                    case "active" -> "; its standby runs the same file with AdvRoutePreference low.\n";
                    case "standby" -> "; its active peer runs the same file with AdvRoutePreference high.\n";
                    default -> ".\n";
                }
                + "interface " + cfg.iface() + " {\n"
                + "    AdvSendAdvert on;\n"
                + "    MinRtrAdvInterval 3;\n"
                + "    MaxRtrAdvInterval 10;\n"
                + "    # Not a default router: the internal network leads nowhere else.\n"
                + "    AdvDefaultLifetime 0;\n"
                + "    prefix " + prefixText + " {\n"
                + "        AdvOnLink on;\n"
                + "        AdvAutonomous on;\n"
                + "        AdvValidLifetime 86400;\n"
                + "        AdvPreferredLifetime 14400;\n"
                + "    };\n"
                + "    route " + text(site) + "/48 {\n"
                + "        AdvRoutePreference " + preference + ";\n"
                + "        AdvRouteLifetime 1800;\n"
                + "    };\n"
                + "};\n";
        List<Expected> expected = new ArrayList<>();
        for (Node n : nodes) {
            for (String mac : n.macs()) {
                expected.add(new Expected(n.name(), mac, Eui64.text(Eui64.address(prefix, mac))));
            }
        }
        return new Plan(prefixText, cfg.iface(), cfg.pairRole(), preference, conf, expected);
    }

    /** The /64 as 16 bytes: {@code network.prefix}, or the ULA made from the root key. */
    static byte[] prefix(NetworkConfig cfg, X509Certificate root) {
        if (cfg.prefix().isBlank()) {
            byte[] h;
            try {
                h = MessageDigest.getInstance("SHA-256").digest(root.getPublicKey().getEncoded());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            byte[] p = new byte[16];
            p[0] = (byte) 0xfd;
            System.arraycopy(h, 0, p, 1, 5); // 40-bit global id; subnet id 0
            return p;
        }
        String t = cfg.prefix().trim();
        if (!t.endsWith("/64")) {
            throw new IllegalArgumentException("network.prefix must be an IPv6 /64, like fd12:3456:789a::/64, not '"
                    + t + "'");
        }
        String addr = t.substring(0, t.length() - 3);
        InetAddress a;
        try {
            a = addr.matches("[0-9A-Fa-f:]+") ? InetAddress.getByName(addr) : null;
        } catch (UnknownHostException e) {
            a = null;
        }
        if (!(a instanceof Inet6Address)) {
            throw new IllegalArgumentException("network.prefix '" + t + "' is not an IPv6 prefix");
        }
        byte[] p = new byte[16];
        System.arraycopy(a.getAddress(), 0, p, 0, 8);
        return p;
    }

    private static String text(byte[] prefix) {
        try {
            return Eui64.text(InetAddress.getByAddress(prefix));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
