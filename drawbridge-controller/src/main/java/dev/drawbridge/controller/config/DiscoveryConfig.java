package dev.drawbridge.controller.config;

import java.util.List;

/**
 * DNS-SD discovery on the internal network. Off by default: a controller in a datacenter has no business announcing
 * itself on every segment it can reach.
 *
 * @param enabled    announce {@code _drawbridge._tcp} and record every device that does
 * @param interfaces interface names or addresses to run on; empty: every interface that is up, not loopback, and
 *                   multicast-capable (IPv4, IPv6 link-local and ULA addresses alike)
 * @param announce   also announce this controller (false: browse only)
 * @param maxDevices how many devices are recorded at most (default 4,096); a new one past it is dropped and counted
 *                   until some are forgotten, so a flood of made-up announcements cannot grow the store
 * @param autoEnroll create nodes for discovered devices, off by default
 */
public record DiscoveryConfig(boolean enabled, List<String> interfaces, boolean announce, int maxDevices,
                              AutoEnroll autoEnroll) {
    /**
     * Auto-enrollment: a device that matches no node, announces one of {@code roles}, and has an address inside one
     * of {@code networks} (CIDR) becomes a node with an enrollment ticket, if the trust policy (its network factor,
     * {@code allow-new}, the operator's lists) trusts it. Discovery alone never trusts anything.
     */
    public record AutoEnroll(boolean enabled, List<String> networks, List<String> roles) {}

    public static DiscoveryConfig defaults() {
        return new DiscoveryConfig(false, List.of(), true, 4096, new AutoEnroll(false, List.of(), List.of()));
    }
}
