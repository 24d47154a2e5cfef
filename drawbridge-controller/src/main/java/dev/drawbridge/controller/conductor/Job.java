package dev.drawbridge.controller.conductor;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.drawbridge.protocol.Wire;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The work a busy node is in the middle of, stored with the node so a restarted controller resumes it:
 * the action, the phase within it, the agent command in flight (if any) and the action's parameters. Actions and
 * phases are stored by their lower-case names; a stored name this build does not know is a clear error.
 */
record Job(Action action, Phase phase, Optional<String> commandId, Map<String, String> params) {
    /** One step of an action: an agent command and the judgement of its answer ({@link Phases}). */
    enum Phase {
        HARDWARE, PROVE, SET_INFO, AK, CREDENTIAL, BASELINE, CSR, INSTALL, VERIFY, ERASE, WRITE, REBOOT;

        @JsonValue
        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        static Phase parse(String wire) {
            return Arrays.stream(values()).filter(p -> p.wire().equals(wire)).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("unknown job phase '" + wire + "'; one of " + List.of(values())));
        }

        @Override
        public String toString() {
            return wire();
        }
    }

    /** What a node is doing, with its phases in order. */
    enum Action {
        MANAGE(Phase.HARDWARE, Phase.PROVE, Phase.SET_INFO, Phase.AK, Phase.CREDENTIAL, Phase.BASELINE, Phase.CSR,
                Phase.INSTALL, Phase.VERIFY),
        PROVIDE(Phase.ERASE),
        UNDEPLOY(Phase.ERASE),
        UNRESCUE(Phase.ERASE),
        DEPLOY(Phase.WRITE, Phase.REBOOT),
        RESCUE(Phase.REBOOT),
        /** A readmitted node's new identity over mTLS (fencing revoked the old one). */
        REISSUE(Phase.CSR, Phase.INSTALL, Phase.VERIFY);

        private final List<Phase> phases;

        Action(Phase... phases) {
            this.phases = List.of(phases);
        }

        List<Phase> phases() {
            return phases;
        }

        @JsonValue
        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        static Action parse(String wire) {
            return Arrays.stream(values()).filter(a -> a.wire().equals(wire)).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("unknown job action '" + wire + "'; one of " + List.of(values())));
        }

        @Override
        public String toString() {
            return wire();
        }
    }

    Job {
        params = Map.copyOf(params);
    }

    static Job start(Action action, Map<String, String> params) {
        return new Job(action, action.phases().get(0), Optional.empty(), params);
    }

    Optional<Job> nextPhase() {
        List<Phase> phases = action.phases();
        int i = phases.indexOf(phase);
        return i + 1 < phases.size() ? Optional.of(new Job(action, phases.get(i + 1), Optional.empty(), params))
                : Optional.empty();
    }

    /** The same phase again, with no command in flight (the last one is lost or was refused). */
    Job retry() {
        return new Job(action, phase, Optional.empty(), params);
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
