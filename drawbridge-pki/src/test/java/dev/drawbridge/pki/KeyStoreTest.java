package dev.drawbridge.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drawbridge.testkit.OpenSsl;
import dev.drawbridge.testkit.SoftHsm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("CA key stores")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeyStoreTest {
    @TempDir
    Path dir;

    @Test
    void pkcs12_store_is_created_0600_and_reopens_to_the_same_root() throws Exception {
        Path file = dir.resolve("sub/ca.p12");
        CertificateAuthority first = CertificateAuthority.open(CaKeyStores.pkcs12(file, "s3cret".toCharArray()),
                CaSettings.defaults());

        CertificateAuthority again = CertificateAuthority.open(CaKeyStores.pkcs12(file, "s3cret".toCharArray()),
                CaSettings.defaults());

        assertThat(again.root()).isEqualTo(first.root());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Files.list(file.getParent()).toList()).containsExactly(file); // no temp file left behind
        String info = OpenSsl.runOk(dir, "pkcs12", "-in", file.toString(), "-info", "-noout", "-passin",
                "pass:s3cret").stderr();
        assertThat(info).contains("AES-256-CBC", "PBKDF2");
    }

    @Test
    void pkcs12_store_with_a_wrong_passphrase_fails_clearly() {
        Path file = dir.resolve("ca.p12");
        CertificateAuthority.open(CaKeyStores.pkcs12(file, "right".toCharArray()), CaSettings.defaults());

        assertThatThrownBy(() -> CertificateAuthority.open(CaKeyStores.pkcs12(file, "wrong".toCharArray()),
                CaSettings.defaults()))
                .isInstanceOf(PkiException.class)
                .hasMessage("cannot open CA key store " + file + ": wrong passphrase or damaged file");
    }

    @Test
    void pkcs12_store_refuses_to_replace_an_existing_key() {
        Path file = dir.resolve("ca.p12");
        CaKeyStore store = CaKeyStores.pkcs12(file, "p".toCharArray());
        CertificateAuthority.open(store, CaSettings.defaults());

        assertThatThrownBy(() -> store.create(KeyAlgorithm.EC_P256, (kp, p) -> {
            throw new AssertionError("must not get here");
        })).isInstanceOf(PkiException.class).hasMessageContaining("refusing to replace");
    }

    @Test
    void pkcs11_key_lives_in_softhsm_signs_certificates_and_is_found_again() {
        SoftHsm.Token token = SoftHsm.token();
        String keyLabel = "ca-" + UUID.randomUUID();
        CaKeyStore store = CaKeyStores.pkcs11(token.library(), token.label(), token.userPin().toCharArray(),
                keyLabel);
        CertificateAuthority ca = CertificateAuthority.open(store, CaSettings.defaults());
        Fixtures.write(dir.resolve("root.pem"), ca.rootPem());
        CsrRequest csr = ca.parseCsr(Fixtures.opensslCsr(dir, "hsm", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256"));

        IssuedCertificate issued = ca.issue(new IssueRequest(Profile.NODE, "hsm", List.of("hsm.test"), List.of(),
                csr.publicKey()));
        Fixtures.write(dir.resolve("hsm.pem"), issued.pem());

        assertThat(store.kind()).isEqualTo("pkcs11");
        assertThat(store.signingProvider()).hasValueSatisfying(p -> assertThat(p.getName()).startsWith("SunPKCS11"));
        OpenSsl.runOk(dir, "verify", "-CAfile", "root.pem", "hsm.pem");
        CaKeyStore reopened = CaKeyStores.pkcs11(token.library(), token.label(), token.userPin().toCharArray(),
                keyLabel);
        assertThat(CertificateAuthority.open(reopened, CaSettings.defaults()).root()).isEqualTo(ca.root());
        assertThat(reopened.load().orElseThrow().privateKey().getEncoded()).isNull(); // not extractable
    }

    @Test
    @Order(1) // PKCS#11 logins are per process: once any store has logged in, a wrong PIN is never checked
    void pkcs11_with_a_wrong_pin_or_unknown_token_fails_clearly() {
        SoftHsm.Token token = SoftHsm.token();
        assertThatThrownBy(() -> CaKeyStores.pkcs11(token.library(), token.label(), "0000".toCharArray(), "k"))
                .isInstanceOf(PkiException.class).hasMessageContaining("wrong PIN");
        assertThatThrownBy(() -> CaKeyStores.pkcs11(token.library(), "no-such-token", "1234".toCharArray(), "k"))
                .isInstanceOf(PkiException.class).hasMessageContaining("no PKCS#11 token labelled 'no-such-token'");
    }
}
