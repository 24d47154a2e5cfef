package dev.drawbridge.controller.config;

/**
 * The trust policy that judges every new OAuth client. {@code policy-file} is a YAML file in the shape of
 * {@link TrustPolicyConfig}; it is read again whenever it changes, so an edit takes effect for the next request.
 * Empty (the default) uses {@link TrustPolicyConfig#defaults()}.
 */
public record TrustConfig(String policyFile) {
    public static TrustConfig defaults() {
        return new TrustConfig("");
    }
}
