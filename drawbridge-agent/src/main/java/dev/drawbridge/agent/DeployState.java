package dev.drawbridge.agent;

import java.util.Map;

/** {@code deploy-state.json}: whether the last image written is whole and verified, for system.status. */
final class DeployState {
    static final String FILE = "deploy-state.json";
    private final DataFiles files;

    DeployState(DataFiles files) {
        this.files = files;
    }

    void deployed(String url, String sha256, String target) {
        files.writeJson(FILE, Map.of("deployed", true, "sha256", sha256, "url", url, "target", target));
    }

    void notDeployed(String reason, String target) {
        files.writeJson(FILE, Map.of("deployed", false, "reason", reason, "target", target));
    }

    Map<String, Object> read() {
        return files.readJson(FILE).orElse(Map.of("deployed", false, "reason", "no image written yet"));
    }
}
