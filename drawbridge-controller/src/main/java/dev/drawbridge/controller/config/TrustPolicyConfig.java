package dev.drawbridge.controller.config;

import java.time.Duration;
import java.util.List;

/**
 * The trust policy over five factors, as its YAML file states it (dash-case keys).
 *
 * @param allowNew    the operator's switch: false refuses every new relationship
 * @param networks    the network of origin: {@code deny} refuses, a non-empty {@code allow} refuses every source
 *                    outside it, {@code trusted} counts in the client's favour
 * @param chain       the client certificate: {@code require} refuses a client without one that chains to our CA or
 *                    to a vendor CA in {@code vendor-ca-file} (PEM)
 * @param vendors     who may sign software statements: a name and a JWK set file each
 * @param operator    client names, software ids or node names the operator allows or denies outright
 * @param attestation for a client that speaks for a node: {@code require} needs the node's latest verdict trusted
 *                    and no older than {@code max-age}; an untrusted verdict always refuses
 */
public record TrustPolicyConfig(boolean allowNew, Networks networks, Chain chain, List<Vendor> vendors,
                                Operator operator, Attestation attestation) {
    public record Networks(List<String> allow, List<String> deny, List<String> trusted) {}

    public record Chain(boolean require, String vendorCaFile) {}

    public record Vendor(String name, String jwksFile) {}

    public record Operator(List<String> allow, List<String> deny) {}

    public record Attestation(boolean require, Duration maxAge) {}

    /** New clients allowed; loopback trusted; others wait for an operator's approval. */
    public static TrustPolicyConfig defaults() {
        return new TrustPolicyConfig(true, new Networks(List.of(), List.of(), List.of("127.0.0.0/8", "::1/128")),
                new Chain(false, ""), List.of(), new Operator(List.of(), List.of()),
                new Attestation(false, Duration.ofMinutes(10)));
    }
}
