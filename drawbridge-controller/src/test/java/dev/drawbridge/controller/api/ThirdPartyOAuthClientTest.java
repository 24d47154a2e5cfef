package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * openid-client (npm), on Node.js, drives the authorization server end to end: discovery, registration,
 * client_credentials with private_key_jwt, the API, introspection, revocation, an invalid_scope refusal, and the
 * device flow (the operator's approval is given in-process here; DevicePageTest drives the page).
 * scripts/test installs Node.js and runs {@code npm ci} in interop/oauth-client; without them this test fails
 * saying so.
 */
class ThirdPartyOAuthClientTest {
    private static final Path CLIENT = Path.of("..", "interop", "oauth-client").toAbsolutePath().normalize();

    @Test
    @DisplayName("openid-client discovers, registers, gets a token by private_key_jwt, introspects and revokes")
    void openidClient(@TempDir Path dir) throws Exception {
        assertThat(Files.isDirectory(CLIENT.resolve("node_modules").resolve("openid-client")))
                .as("openid-client is not installed: run 'npm ci' in " + CLIENT + " (scripts/test does, after"
                        + " installing Debian's nodejs)").isTrue();
        try (RunningController c = RunningController.start(dir)) {
            ProcessBuilder pb = new ProcessBuilder("node", "run.mjs", c.controller.url()).directory(CLIENT.toFile())
                    .redirectErrorStream(true);
            pb.environment().put("NODE_EXTRA_CA_CERTS", dir.resolve("ca.pem").toString());
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new AssertionError("node is not installed: install Debian's nodejs (scripts/test does)", e);
            }
            // Act as the operator once the client prints its user code (the page itself is DevicePageTest's).
            StringBuilder out = new StringBuilder();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    out.append(line).append('\n');
                    if (line.startsWith("user_code ")) {
                        assertThat(c.controller.trust().oauth().decideDevice(line.substring(10), true, "test"))
                                .isTrue();
                    }
                }
            }
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("openid-client finished within 60 s").isTrue();
            assertThat(p.exitValue()).as(out.toString()).isZero();
            assertThat(out.toString()).contains("ok discovery", "ok registration", "ok client_credentials", "ok api",
                    "ok introspection", "ok revocation", "ok invalid_scope", "ok device_authorization",
                    "ok device_code grant", "all steps passed");
        }
    }
}
