package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.drawbridge.pki.CaKeyStores;
import dev.drawbridge.pki.CaSettings;
import dev.drawbridge.pki.CertificateAuthority;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Errors a CLI user meets before any controller answers: each names the cause and what to do next. */
class CliErrorsTest {
    @TempDir Path dir;

    @Test
    @DisplayName("DRAWBRIDGE_URL without DRAWBRIDGE_CA is refused instead of trusting a local ca.pem; a missing CA file is named")
    void aRemoteUrlNeedsItsOwnCa() throws Exception {
        Files.writeString(dir.resolve("ca.pem"), "not used");
        var noCa = catchThrowableOfType(CliException.class, () -> ApiClient.from(dir,
                Map.of("DRAWBRIDGE_URL", "https://192.0.2.1:8443", "DRAWBRIDGE_TOKEN", "t")));
        assertThat(noCa.getMessage()).contains("DRAWBRIDGE_CA is not").contains("root certificate");
        var missing = catchThrowableOfType(CliException.class, () -> ApiClient.from(dir,
                Map.of("DRAWBRIDGE_URL", "https://192.0.2.1:8443", "DRAWBRIDGE_TOKEN", "t",
                        "DRAWBRIDGE_CA", dir.resolve("nope.pem").toString())));
        assertThat(missing.getMessage()).contains("nope.pem").contains("not a file");
    }

    @Test
    @DisplayName("a controller that is not listening is reported as 'connection refused' at its address, never 'null'")
    void connectionRefusedIsNamed() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String ca = CertificateAuthority.open(CaKeyStores.pkcs12(
                dir.resolve("ca.p12"), "pw".toCharArray()), CaSettings.defaults()).rootPem();
        ApiClient api = new ApiClient(URI.create("https://127.0.0.1:" + port), "t", ca);
        var e = catchThrowableOfType(CliException.class, () -> api.get("/v1/nodes"));
        assertThat(e.getMessage()).contains("https://127.0.0.1:" + port).contains("connection refused")
                .contains("./drawbridge controller").doesNotContain("null");
    }
}
