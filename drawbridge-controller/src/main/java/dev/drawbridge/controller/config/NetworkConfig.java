package dev.drawbridge.controller.config;

/**
 * The chassis-internal network that {@code drawbridge network plan} writes a radvd configuration for.
 *
 * @param prefix    the IPv6 /64 to advertise for SLAAC; empty (the default): a stable ULA prefix (RFC 4193) made from
 *                  this controller's CA root, so every controller of one installation computes the same one
 * @param iface     the interface radvd serves (default {@code eth1})
 * @param pairRole  this controller's place in an active/standby pair: {@code active} (router preference high),
 *                  {@code standby} (low) or {@code single} (medium, the default)
 */
public record NetworkConfig(String prefix, String iface, String pairRole) {
    public static NetworkConfig defaults() {
        return new NetworkConfig("", "eth1", "single");
    }
}
