package dev.drawbridge.controller.discovery;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * Modified EUI-64 interface identifiers (RFC 4291 appendix A), as SLAAC makes them from a MAC: the MAC split around
 * {@code ff:fe}, with the universal/local bit flipped. Discovery reads a device's MAC back out of its addresses;
 * the network plan computes the address a node's MAC will take under the prefix.
 */
public final class Eui64 {
    private Eui64() {}

    /** The MAC (lower-case colon form) an IPv6 address was made from, if its interface id is a modified EUI-64. */
    public static Optional<String> mac(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return Optional.empty();
        }
        byte[] a = address.getAddress();
        if ((a[11] & 0xff) != 0xff || (a[12] & 0xff) != 0xfe) {
            return Optional.empty();
        }
        byte[] mac = {(byte) (a[8] ^ 0x02), a[9], a[10], a[13], a[14], a[15]};
        StringBuilder b = new StringBuilder();
        for (byte x : mac) {
            b.append(b.isEmpty() ? "" : ":").append(String.format(Locale.ROOT, "%02x", x & 0xff));
        }
        return Optional.of(b.toString());
    }

    /** The address a MAC takes by SLAAC under a /64 {@code prefix} (the prefix's first 8 bytes are used). */
    public static InetAddress address(byte[] prefix, String mac) {
        String[] parts = mac.split(":");
        if (parts.length != 6) {
            throw new IllegalArgumentException("'" + mac + "' is not a MAC");
        }
        byte[] a = new byte[16];
        System.arraycopy(prefix, 0, a, 0, 8);
        a[8] = (byte) (Integer.parseInt(parts[0], 16) ^ 0x02);
        a[9] = (byte) Integer.parseInt(parts[1], 16);
        a[10] = (byte) Integer.parseInt(parts[2], 16);
        a[11] = (byte) 0xff;
        a[12] = (byte) 0xfe;
        a[13] = (byte) Integer.parseInt(parts[3], 16);
        a[14] = (byte) Integer.parseInt(parts[4], 16);
        a[15] = (byte) Integer.parseInt(parts[5], 16);
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An address as RFC 5952 writes it ({@code fd00::1}, not {@code fd00:0:0:0:0:0:0:1}), without a zone. */
    public static String text(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress();
        }
        byte[] a = address.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((a[2 * i] & 0xff) << 8) | (a[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                b.append("::");
                i += bestLen - 1;
                continue;
            }
            if (!b.isEmpty() && b.charAt(b.length() - 1) != ':') {
                b.append(':');
            }
            b.append(Integer.toHexString(g[i]));
        }
        return b.toString();
    }
}
