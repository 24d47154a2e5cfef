package dev.drawbridge.controller.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir Path dir;

    @Test
    @DisplayName("with no file and no environment the defaults apply")
    void defaults() {
        ControllerConfig c = ConfigLoader.load(Map.of());
        assertThat(c).isEqualTo(ControllerConfig.defaults());
        assertThat(c.ca().nodeLifetime()).isEqualTo(Duration.ofHours(24));
        assertThat(c.managementConsole().enabled()).isTrue();
    }

    @Test
    @DisplayName("a YAML file with dash-case keys overrides only the keys it names")
    void fileMergesOverDefaults() throws Exception {
        Path f = Files.writeString(dir.resolve("c.yaml"), """
                listen: "0.0.0.0:9443"
                ca:
                  node-lifetime: 12h
                  key-algorithm: rsa-3072
                management-console:
                  deadline: PT5S
                """);
        ControllerConfig c = ConfigLoader.load(f, Map.of());
        assertThat(c.listen()).isEqualTo("0.0.0.0:9443");
        assertThat(c.ca().nodeLifetime()).isEqualTo(Duration.ofHours(12));
        assertThat(c.ca().keyAlgorithm()).isEqualTo("rsa-3072");
        assertThat(c.ca().rootCommonName()).isEqualTo("Drawbridge Root CA");
        assertThat(c.managementConsole().deadline()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("DRAWBRIDGE_MANAGEMENT_CONSOLE_ENABLED=false switches the console off, over the file")
    void environmentWins() throws Exception {
        Path f = Files.writeString(dir.resolve("c.yaml"), "management-console:\n  enabled: true\n");
        ControllerConfig c = ConfigLoader.load(f, Map.of("DRAWBRIDGE_MANAGEMENT_CONSOLE_ENABLED", "false",
                "DRAWBRIDGE_STORE_MAX_POOL_SIZE", "3", "DRAWBRIDGE_ENROLLMENT_TICKET_LIFETIME", "15m"));
        assertThat(c.managementConsole().enabled()).isFalse();
        assertThat(c.store().maxPoolSize()).isEqualTo(3);
        assertThat(c.enrollment().ticketLifetime()).isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    @DisplayName("an unknown key is an error that names it")
    void unknownKeyIsAnError() throws Exception {
        Path f = Files.writeString(dir.resolve("c.yaml"), "ca:\n  node-lifetme: 1h\n");
        assertThatThrownBy(() -> ConfigLoader.load(f, Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ca.node-lifetme");
    }

    @Test
    @DisplayName("a value of the wrong type is an error that says what was expected")
    void badValuesAreErrors() throws Exception {
        Path f = Files.writeString(dir.resolve("c.yaml"), "enrollment:\n  ticket-lifetime: soon\n");
        assertThatThrownBy(() -> ConfigLoader.load(f, Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not a duration");
        assertThatThrownBy(() -> ConfigLoader.load(Map.of("DRAWBRIDGE_STORE_MAX_POOL_SIZE", "many")))
                .isInstanceOf(ConfigException.class);
    }

    @Test
    @DisplayName("docs/configuration.md documents every key the loader knows")
    void everyKeyIsDocumented() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
        for (var key : ConfigLoader.keys()) {
            assertThat(doc).as("docs/configuration.md lists " + key.getKey()).contains("| `" + key.getKey() + "` |");
        }
    }
}
