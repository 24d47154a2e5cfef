package dev.drawbridge.controller.conductor;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.drawbridge.protocol.Wire;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The work a busy node is in the middle of, stored with the node so a restarted controller resumes it:
 * the action, the phase within it, the agent command in flight (if any) and the action's parameters.
 */
record Job(String action, String phase, Optional<String> commandId, Map<String, String> params) {
    /** The phases of each action, in order. */
    static final Map<String, List<String>> PHASES = Map.of(
            "manage", List.of("hardware", "prove", "set_info", "ak", "credential", "baseline", "csr", "install", "verify"),
            "provide", List.of("erase"),
            "undeploy", List.of("erase"),
            "unrescue", List.of("erase"),
            "deploy", List.of("write", "reboot"),
            "rescue", List.of("reboot"),
            "reissue", List.of("csr", "install", "verify"));

    Job {
        params = Map.copyOf(params);
    }

    static Job start(String action, Map<String, String> params) {
        return new Job(action, PHASES.get(action).get(0), Optional.empty(), params);
    }

    Optional<Job> nextPhase() {
        List<String> phases = PHASES.get(action);
        int i = phases.indexOf(phase);
        return i + 1 < phases.size() ? Optional.of(new Job(action, phases.get(i + 1), Optional.empty(), params))
                : Optional.empty();
    }

    Job withCommand(String id) {
        return new Job(action, phase, Optional.of(id), params);
    }

    Job with(String key, String value) {
        Map<String, String> p = new HashMap<>(params);
        p.put(key, value);
        return new Job(action, phase, commandId, p);
    }

    String param(String key) {
        return Optional.ofNullable(params.get(key)).orElseThrow(() -> new IllegalStateException(
                "job " + action + "/" + phase + " lacks parameter " + key));
    }

    String json() {
        try {
            return Wire.JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static Job parse(String json) {
        try {
            return Wire.JSON.readValue(json, Job.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored job is unreadable: " + e.getOriginalMessage());
        }
    }
}
