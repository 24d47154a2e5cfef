package dev.drawbridge.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A SoftHSM2 token for tests. SoftHSM reads {@code SOFTHSM2_CONF} from the process environment when the
 * module is first initialised, and a JVM cannot change its own environment: the test JVM must be started
 * with {@code SOFTHSM2_CONF} naming a file this harness may write (Surefire {@code environmentVariables}).
 * The harness points that file at a fresh token directory and makes one token per JVM, before any test
 * loads the module; tests then share it and keep apart by key label.
 */
public final class SoftHsm {
    public static final Path LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");
    public static final String TOKEN_LABEL = "drawbridge-test";
    public static final String USER_PIN = "1234";
    public static final String SO_PIN = "5678";

    private static Token shared;

    private SoftHsm() {}

    /** An initialised token: its module, label, PINs and the directory holding its files. */
    public record Token(Path library, String label, String userPin, String soPin, Path tokenDir) {}

    /** The token of this JVM, made on first use. */
    public static synchronized Token token() {
        if (shared == null) {
            shared = initialise();
        }
        return shared;
    }

    private static Token initialise() {
        Path util = OpenSsl.onPath("softhsm2-util").orElse(null);
        if (util == null || !Files.exists(LIBRARY)) {
            fail("SoftHSM2 is not installed: install the Debian package 'softhsm2' (apt-get install softhsm2)");
        }
        String conf = System.getenv("SOFTHSM2_CONF");
        if (conf == null || conf.isBlank()) {
            fail("SOFTHSM2_CONF is not set for this JVM: set it in the Surefire <environmentVariables> to a "
                    + "file under target/, which this harness writes");
        }
        try {
            Path confFile = Path.of(conf).toAbsolutePath();
            Path tokenDir = confFile.resolveSibling("softhsm-tokens").resolve(UUID.randomUUID().toString());
            Files.createDirectories(tokenDir);
            Files.writeString(confFile, "directories.tokendir = " + tokenDir + "\nobjectstore.backend = file\n"
                    + "log.level = ERROR\nslots.removable = false\n", StandardCharsets.UTF_8);
            List<String> command = List.of(util.toString(), "--init-token", "--free", "--label", TOKEN_LABEL,
                    "--pin", USER_PIN, "--so-pin", SO_PIN);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("SOFTHSM2_CONF", confFile.toString());
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                fail("softhsm2-util --init-token failed: " + output);
            }
            return new Token(LIBRARY, TOKEN_LABEL, USER_PIN, SO_PIN, tokenDir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot set up SoftHSM2: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while setting up SoftHSM2", e);
        }
    }
}
