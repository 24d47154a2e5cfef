package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.testkit.OpenSsl;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API's TLS, probed with openssl s_client: TLS 1.2 and 1.3 with AEAD suites only. */
class TlsPolicyTest {
    @TempDir Path dir;

    private static OpenSsl.Result connect(Path dir, String hostPort, String... options) {
        String[] args = new String[options.length + 4];
        args[0] = "s_client";
        args[1] = "-connect";
        args[2] = hostPort;
        args[3] = "-brief";
        System.arraycopy(options, 0, args, 4, options.length);
        return OpenSsl.run(dir, args);
    }

    @Test
    @DisplayName("TLS 1.0 and 1.1 and every CBC suite are refused; TLS 1.2 gets an AEAD suite, TLS 1.3 works")
    void onlyModernAeadTls() throws Exception {
        try (var c = RunningController.start(dir.resolve("data"))) {
            URI u = URI.create(c.controller.url());
            String at = u.getHost() + ":" + u.getPort();
            assertThat(connect(dir, at, "-tls1_3").stderr()).contains("TLSv1.3");
            for (String old : new String[] {"-tls1", "-tls1_1"}) {
                assertThat(connect(dir, at, old, "-cipher", "ALL:@SECLEVEL=0").stderr()).as(old)
                        .doesNotContain("Protocol version: TLSv1");
            }
            for (String cbc : new String[] {"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384",
                    "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA"}) {
                var r = connect(dir, at, "-tls1_2", "-cipher", cbc);
                assertThat(r.stderr()).as(cbc).doesNotContain("Ciphersuite: " + cbc);
                assertThat(r.stdout() + r.stderr()).as(cbc).containsAnyOf("handshake failure", "no cipher", "alert");
            }
            var twelve = connect(dir, at, "-tls1_2");
            assertThat(twelve.stderr()).contains("Protocol version: TLSv1.2").containsAnyOf("GCM", "CHACHA20");
            var serverOrder = connect(dir, at, "-tls1_2", "-cipher",
                    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384");
            assertThat(serverOrder.stderr()).as("the server's order wins").contains("ECDHE-ECDSA-AES256-GCM-SHA384");
        }
    }
}
