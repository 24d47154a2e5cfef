package dev.drawbridge.controller.config;

import dev.drawbridge.controller.store.StoreConfig;

/**
 * The controller's whole configuration: one YAML file mapped onto these records (dash-case keys),
 * with environment overrides such as {@code DRAWBRIDGE_MANAGEMENT_CONSOLE_ENABLED}. Every key has the
 * default given by {@link #defaults()}; docs/configuration.md describes each one.
 */
public record ControllerConfig(String listen, String dataDir, LogConfig log, StoreConfig store, CaConfig ca,
                               EnrollmentConfig enrollment, ApiConfig api, ConsoleConfig managementConsole,
                               ConductorConfig conductor, AgentApiConfig agentApi, FencingConfig fencing,
                               AttestationConfig attestation, OAuthConfig oauth, TrustConfig trust,
                               DiscoveryConfig discovery, NetworkConfig network,
                               ClusterConfig cluster) {

    /** Runs on loopback, port 8443, with an embedded SQLite store and a self-made CA in ./drawbridge-data. */
    public static ControllerConfig defaults() {
        return new ControllerConfig("127.0.0.1:8443", "./drawbridge-data", LogConfig.defaults(),
                StoreConfig.defaults(), CaConfig.defaults(), EnrollmentConfig.defaults(), ApiConfig.defaults(),
                ConsoleConfig.defaults(), ConductorConfig.defaults(), AgentApiConfig.defaults(),
                FencingConfig.defaults(), AttestationConfig.defaults(), OAuthConfig.defaults(), TrustConfig.defaults(),
                DiscoveryConfig.defaults(), NetworkConfig.defaults(), ClusterConfig.defaults());
    }

    public ControllerConfig withListen(String value) {
        return new ControllerConfig(value, dataDir, log, store, ca, enrollment, api, managementConsole, conductor, agentApi, fencing, attestation, oauth, trust, discovery, network, cluster);
    }

    public ControllerConfig withDataDir(String value) {
        return new ControllerConfig(listen, value, log, store, ca, enrollment, api, managementConsole, conductor, agentApi, fencing, attestation, oauth, trust, discovery, network, cluster);
    }

    public ControllerConfig withConsole(ConsoleConfig value) {
        return new ControllerConfig(listen, dataDir, log, store, ca, enrollment, api, value, conductor, agentApi, fencing, attestation, oauth, trust, discovery, network, cluster);
    }

    public ControllerConfig withStore(StoreConfig value) {
        return new ControllerConfig(listen, dataDir, log, value, ca, enrollment, api, managementConsole, conductor, agentApi, fencing, attestation, oauth, trust, discovery, network, cluster);
    }

    public ControllerConfig withConductor(ConductorConfig value) {
        return new ControllerConfig(listen, dataDir, log, store, ca, enrollment, api, managementConsole, value, agentApi, fencing, attestation, oauth, trust, discovery, network, cluster);
    }

    public ControllerConfig withAgentApi(AgentApiConfig value) {
        return new ControllerConfig(listen, dataDir, log, store, ca, enrollment, api, managementConsole, conductor, value, fencing, attestation, oauth, trust, discovery, network, cluster);
    }

    public ControllerConfig withEnrollment(EnrollmentConfig value) {
        return new ControllerConfig(listen, dataDir, log, store, ca, value, api, managementConsole, conductor,
                agentApi, fencing, attestation, oauth, trust, discovery, network, cluster);
    }

    public ControllerConfig withFencing(FencingConfig value) {
        return new ControllerConfig(listen, dataDir, log, store, ca, enrollment, api, managementConsole, conductor,
                agentApi, value, attestation, oauth, trust, discovery, network, cluster);
    }

    public ControllerConfig withApi(ApiConfig value) {
        return new ControllerConfig(listen, dataDir, log, store, ca, enrollment, value, managementConsole, conductor,
                agentApi, fencing, attestation, oauth, trust, discovery, network, cluster);
    }

    public ControllerConfig withAttestation(AttestationConfig value) {
        return new ControllerConfig(listen, dataDir, log, store, ca, enrollment, api, managementConsole, conductor,
                agentApi, fencing, value, oauth, trust, discovery, network, cluster);
    }

    public ControllerConfig withOAuth(OAuthConfig value) {
        return new ControllerConfig(listen, dataDir, log, store, ca, enrollment, api, managementConsole, conductor,
                agentApi, fencing, attestation, value, trust, discovery, network, cluster);
    }

    public ControllerConfig withTrust(TrustConfig value) {
        return new ControllerConfig(listen, dataDir, log, store, ca, enrollment, api, managementConsole, conductor,
                agentApi, fencing, attestation, oauth, value, discovery, network, cluster);
    }

    public ControllerConfig withCa(CaConfig value) {
        return new ControllerConfig(listen, dataDir, log, store, value, enrollment, api, managementConsole, conductor, agentApi, fencing, attestation, oauth, trust, discovery, network, cluster);
    }

    public ControllerConfig withDiscovery(DiscoveryConfig value) {
        return new ControllerConfig(listen, dataDir, log, store, ca, enrollment, api, managementConsole, conductor,
                agentApi, fencing, attestation, oauth, trust, value, network, cluster);
    }

    public ControllerConfig withNetwork(NetworkConfig value) {
        return new ControllerConfig(listen, dataDir, log, store, ca, enrollment, api, managementConsole, conductor,
                agentApi, fencing, attestation, oauth, trust, discovery, value, cluster);
    }

    public ControllerConfig withCluster(ClusterConfig value) {
        return new ControllerConfig(listen, dataDir, log, store, ca, enrollment, api, managementConsole, conductor,
                agentApi, fencing, attestation, oauth, trust, discovery, network, value);
    }
}
