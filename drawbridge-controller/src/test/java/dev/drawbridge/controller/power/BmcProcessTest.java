package dev.drawbridge.controller.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BmcProcessTest {
    @TempDir
    Path dir;

    @Test
    void a_hung_tool_and_its_children_are_killed_at_the_deadline() throws Exception {
        Path pidFile = dir.resolve("child.pid");
        long start = System.nanoTime();

        assertThatThrownBy(() -> BmcProcess.run(List.of("sh", "-c", "sleep 30 & echo $! > " + pidFile + "; wait"),
                Map.of(), "", Duration.ofMillis(500)))
                .isInstanceOf(PowerException.class)
                .hasMessageContaining("did not finish within 500 ms");

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        long child = Long.parseLong(Files.readString(pidFile).strip());
        Thread.sleep(200);
        assertThat(running(child)).isFalse();
    }

    /** Alive and not a zombie: in a container whose init does not reap, a killed orphan stays a zombie. */
    private static boolean running(long pid) throws Exception {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.exists(stat)) {
            return false;
        }
        String text = Files.readString(stat);
        return text.charAt(text.lastIndexOf(')') + 2) != 'Z';
    }

    @Test
    void secrets_reach_the_tool_through_the_environment_and_stdin() {
        BmcProcess.Result result = BmcProcess.run(List.of("sh", "-c", "read line; echo \"$IPMI_PASSWORD $line\""),
                Map.of("IPMI_PASSWORD", "from-env"), "from-stdin\n", Duration.ofSeconds(5));

        assertThat(result.exitCode()).isZero();
        assertThat(result.stdout().strip()).isEqualTo("from-env from-stdin");
    }

    @Test
    void the_fence_agent_driver_runs_only_fence_agents() {
        BmcTarget target = new BmcTarget("127.0.0.1", 623, "admin", Secret.of("pw"), Map.of("agent", "/bin/rm"));

        assertThatThrownBy(() -> PowerDrivers.fenceAgent(Duration.ofSeconds(5)).status(target))
                .isInstanceOf(PowerException.class)
                .hasMessageContaining("not a fence agent");
    }
}
