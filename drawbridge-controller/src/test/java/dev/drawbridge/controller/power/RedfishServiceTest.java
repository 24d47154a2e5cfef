package dev.drawbridge.controller.power;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.protocol.Wire;
import dev.drawbridge.testkit.NetNs;
import dev.drawbridge.testkit.RedfishService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test kit's Redfish service against clients nobody here wrote: our Redfish driver forces the system off and
 * on and inserts and ejects a virtual CD, and python3-sushy (the library Ironic uses) and redfishtool read back the
 * state it left; sushy drives the same VirtualMedia actions itself, so the layout is one a real client uses.
 */
class RedfishServiceTest {
    private static final String USER = "root";
    private static final String PASSWORD = "calvin-" + Long.toHexString(System.nanoTime());

    @TempDir Path dir;

    @Test
    @DisplayName("our driver powers the system off and on; sushy and redfishtool read the same state; sushy drives"
            + " the virtual CD")
    void clientsAgree() throws Exception {
        NetNs.require("redfishtool", "redfishtool");
        if (new ProcessBuilder("/usr/bin/python3", "-c", "import sushy").start().waitFor() != 0) {
            throw new AssertionError("python3-sushy is missing: install the Debian package 'python3-sushy'");
        }
        try (RedfishService bmc = RedfishService.start(dir, USER, PASSWORD)) {
            PowerDriver driver = PowerDrivers.redfish(bmc.trust(), Duration.ofSeconds(5));
            BmcTarget target = new BmcTarget("127.0.0.1", bmc.port(), USER, Secret.of(PASSWORD), Map.of());
            assertThat(driver.status(target)).isEqualTo(PowerState.ON);
            assertThat(PowerDrivers.offAndConfirm(driver, target, Duration.ofSeconds(5)))
                    .isInstanceOf(OffResult.Confirmed.class);
            assertThat(bmc.powerState()).isEqualTo("Off");
            JsonNode seen = sushy(bmc, "state");
            assertThat(seen.path("power_state").asText().toLowerCase()).endsWith("off");
            assertThat(redfishtool(bmc)).contains("\"PowerState\": \"Off\"");

            driver.on(target);
            assertThat(sushy(bmc, "state").path("power_state").asText().toLowerCase()).endsWith("on");

            // Our driver inserts and ejects; sushy reads what it did.
            VirtualMedia media = (VirtualMedia) driver;
            media.insert(target, "https://127.0.0.1:8443/v1/media/ours");
            JsonNode ours = sushy(bmc, "state");
            assertThat(ours.path("inserted").asBoolean()).isTrue();
            assertThat(ours.path("image").asText()).isEqualTo("https://127.0.0.1:8443/v1/media/ours");
            media.eject(target);
            assertThat(sushy(bmc, "state").path("inserted").asBoolean()).isFalse();

            // And sushy drives the same actions.
            JsonNode inserted = sushy(bmc, "insert", "https://127.0.0.1:8443/v1/media/one-time-token");
            assertThat(inserted.path("inserted").asBoolean()).isTrue();
            assertThat(inserted.path("image").asText()).isEqualTo("https://127.0.0.1:8443/v1/media/one-time-token");
            assertThat(bmc.actions()).contains("InsertMedia https://127.0.0.1:8443/v1/media/one-time-token");
            JsonNode ejected = sushy(bmc, "eject");
            assertThat(ejected.path("inserted").asBoolean()).isFalse();
            assertThat(bmc.inserted()).isFalse();
            assertThat(bmc.actions()).containsSubsequence("Reset ForceOff", "Reset On", "InsertMedia "
                    + "https://127.0.0.1:8443/v1/media/ours", "EjectMedia", "InsertMedia "
                    + "https://127.0.0.1:8443/v1/media/one-time-token", "EjectMedia");
        }
    }

    private static JsonNode sushy(RedfishService bmc, String... verb) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", Path.of(System.getProperty("user.dir"))
                .getParent().resolve("interop/redfish/sushy_client.py").toString(), bmc.url(), USER, PASSWORD,
                bmc.certificatePem().toString()));
        cmd.addAll(List.of(verb));
        // requests prefers REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE) from the environment over the session's CA file.
        String out = run(cmd, Map.of("REQUESTS_CA_BUNDLE", bmc.certificatePem().toString(),
                "CURL_CA_BUNDLE", bmc.certificatePem().toString()));
        String last = out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("sushy printed no JSON: " + out));
        return Wire.JSON.readTree(last);
    }

    private static String redfishtool(RedfishService bmc) throws Exception {
        return run(List.of("redfishtool", "-r", "127.0.0.1:" + bmc.port(), "-u", USER, "-p", PASSWORD, "-S",
                "Always", "raw", "GET", RedfishService.SYSTEM), Map.of("REQUESTS_CA_BUNDLE",
                bmc.certificatePem().toString(), "CURL_CA_BUNDLE", bmc.certificatePem().toString()));
    }

    private static String run(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as(String.join(" ", cmd) + "\n" + out)
                .isTrue();
        return out;
    }
}
