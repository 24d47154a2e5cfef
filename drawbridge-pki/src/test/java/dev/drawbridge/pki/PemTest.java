package dev.drawbridge.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.security.KeyPairGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTest {
    @Test
    void a_bundle_yields_its_certificates_in_order_and_ignores_other_blocks(@TempDir Path dir) throws Exception {
        CertificateAuthority ca = Fixtures.ca(dir);
        String bundle = "junk before\n" + ca.rootPem() + Pem.encode("PRIVATE KEY", new byte[] {1}) + ca.rootPem();

        assertThat(Pem.certificates(bundle)).containsExactly(ca.root(), ca.root());
        assertThat(Pem.certificate(Pem.certificate(ca.root()))).isEqualTo(ca.root());
        assertThatThrownBy(() -> Pem.certificate(bundle)).isInstanceOf(PkiException.class)
                .hasMessageContaining("found 2");
    }

    @Test
    void a_private_key_round_trips_through_pkcs8_pem() throws Exception {
        var key = KeyPairGenerator.getInstance("EC").generateKeyPair().getPrivate();
        assertThat(Pem.privateKey(Pem.privateKey(key)).getEncoded()).isEqualTo(key.getEncoded());
    }
}
