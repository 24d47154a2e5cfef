package dev.drawbridge.controller.conductor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drawbridge.controller.conductor.Job.Action;
import dev.drawbridge.controller.conductor.Job.Phase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** A job walks its action's phases in order, and survives the store as the same lower-case JSON as before. */
class JobTest {
    private static List<Phase> walk(Action action) {
        List<Phase> seen = new ArrayList<>();
        Optional<Job> j = Optional.of(Job.start(action, Map.of("k", "v")));
        while (j.isPresent()) {
            seen.add(j.get().phase());
            assertThat(j.get().params()).containsEntry("k", "v");
            assertThat(j.get().commandId()).isEmpty();
            j = j.get().withCommand("c-1").nextPhase();
        }
        return seen;
    }

    @Test
    @DisplayName("each action runs its phases in order, then is done")
    void phasesInOrder() {
        assertThat(walk(Action.MANAGE)).containsExactly(Phase.HARDWARE, Phase.PROVE, Phase.SET_INFO, Phase.AK,
                Phase.CREDENTIAL, Phase.BASELINE, Phase.CSR, Phase.INSTALL, Phase.VERIFY);
        assertThat(walk(Action.PROVIDE)).containsExactly(Phase.ERASE);
        assertThat(walk(Action.UNDEPLOY)).containsExactly(Phase.ERASE);
        assertThat(walk(Action.UNRESCUE)).containsExactly(Phase.ERASE);
        assertThat(walk(Action.DEPLOY)).containsExactly(Phase.WRITE, Phase.REBOOT);
        assertThat(walk(Action.RESCUE)).containsExactly(Phase.REBOOT);
        assertThat(walk(Action.REISSUE)).containsExactly(Phase.CSR, Phase.INSTALL, Phase.VERIFY);
    }

    @Test
    @DisplayName("a job is stored as lower-case names and read back equal; a retry drops the command in flight")
    void storedForm() {
        Job j = Job.start(Action.MANAGE, Map.of("ticket_id", "t")).nextPhase().orElseThrow().nextPhase().orElseThrow()
                .withCommand("cmd-7");
        String json = j.json();
        assertThat(json).contains("\"action\":\"manage\"").contains("\"phase\":\"set_info\"")
                .contains("\"command_id\":\"cmd-7\"");
        assertThat(Job.parse(json)).isEqualTo(j);
        assertThat(j.retry()).isEqualTo(new Job(Action.MANAGE, Phase.SET_INFO, Optional.empty(), j.params()));
        // What a previous build stored reads the same.
        assertThat(Job.parse("{\"action\":\"deploy\",\"phase\":\"reboot\",\"command_id\":null,\"params\":{}}"))
                .isEqualTo(new Job(Action.DEPLOY, Phase.REBOOT, Optional.empty(), Map.of()));
    }

    @Test
    @DisplayName("an unknown action or phase in the store is an error naming the value, not a NullPointerException")
    void unknownNames() {
        assertThatThrownBy(() -> Job.parse("{\"action\":\"teleport\",\"phase\":\"erase\",\"params\":{}}"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("'teleport'")
                .hasMessageContaining("manage");
        assertThatThrownBy(() -> Job.parse("{\"action\":\"provide\",\"phase\":\"polish\",\"params\":{}}"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("'polish'");
        assertThatThrownBy(() -> Job.start(Action.DEPLOY, Map.of()).param("image_url"))
                .hasMessageContaining("deploy/write lacks parameter image_url");
    }
}
