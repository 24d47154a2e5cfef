package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * openid-client (npm), on Node.js, drives the authorization server end to end: discovery, registration,
 * client_credentials with private_key_jwt, the API, introspection, revocation and an invalid_scope refusal.
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
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("openid-client finished within 60 s").isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("ok discovery", "ok registration", "ok client_credentials", "ok api",
                    "ok introspection", "ok revocation", "ok invalid_scope", "all steps passed");
        }
    }
}
