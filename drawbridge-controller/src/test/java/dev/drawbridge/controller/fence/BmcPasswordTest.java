package dev.drawbridge.controller.fence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drawbridge.controller.config.FencingConfig;
import dev.drawbridge.controller.power.BmcTargets;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each node may have its own BMC login; the fleet-wide one is the default. */
class BmcPasswordTest {
    @TempDir Path dir;

    private static Node node(Optional<String> user, Optional<String> ref) {
        return new Node("id-1", "node-07", List.of(), Map.of(), Optional.of("10.0.0.7"), Optional.empty(),
                NodeState.ACTIVE, Optional.empty(), Instant.EPOCH, Instant.EPOCH, 1, Optional.empty(), "poll",
                Optional.empty(), Optional.empty(), false, user, ref);
    }

    @Test
    @DisplayName("a node's own password file wins over the fleet's, which stays the default")
    void perNodePasswordOverridesTheFleet() throws Exception {
        Path fleet = Files.writeString(dir.resolve("fleet.pass"), "fleet-secret\n");
        Path own = Files.writeString(dir.resolve("node-07.pass"), "node-07-secret\n");
        FencingConfig cfg = FencingConfig.defaults().withBmc("admin", fleet.toString(), "17");
        assertThat(BmcTargets.password(node(Optional.empty(), Optional.empty()), cfg)).isEqualTo("fleet-secret");
        assertThat(BmcTargets.password(node(Optional.of("ops"), Optional.of("file:" + own)), cfg))
                .isEqualTo("node-07-secret");
    }

    @Test
    @DisplayName("a reference that cannot be read is a clear failure naming the file or variable, not a blank password")
    void unreadableReferencesAreNamed() {
        FencingConfig cfg = FencingConfig.defaults();
        assertThatThrownBy(() -> BmcTargets.password(node(Optional.empty(), Optional.of("file:" + dir.resolve("nope"))),
                cfg)).hasMessageContaining("cannot read the BMC password file").hasMessageContaining("nope");
        assertThatThrownBy(() -> BmcTargets.password(node(Optional.empty(),
                Optional.of("env:DRAWBRIDGE_TEST_NO_SUCH_VARIABLE")), cfg))
                .hasMessageContaining("DRAWBRIDGE_TEST_NO_SUCH_VARIABLE is not set");
    }
}
