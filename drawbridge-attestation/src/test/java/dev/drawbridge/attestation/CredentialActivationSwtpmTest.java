package dev.drawbridge.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drawbridge.attestation.Credentials.MadeCredential;
import dev.drawbridge.testkit.Swtpm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credentials.make against the real peer: a swtpm manufactured with a certified RSA EK, and
 * tpm2-tools' activatecredential and makecredential (Debian swtpm, swtpm-tools, tpm2-tools).
 * The recovered secret is compared, never printed.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class CredentialActivationSwtpmTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String EK = Swtpm.Manufactured.EK;
    private static final String AK = "0x81010002";
    private static Swtpm tpm;

    @BeforeAll
    static void start() throws Exception {
        tpm = Swtpm.start(Swtpm.manufacture());
        tpm.readPublic(EK, "ek");
        tpm.createAk(EK, AK, "rsa", "rsassa", "ak");
    }

    @AfterAll
    static void stop() throws Exception {
        if (tpm != null) {
            tpm.close();
        }
    }

    /** The AK's TPM Name, as {@code tpm2_createak -n} wrote it. */
    private static byte[] akName() {
        return tpm.file("ak.name");
    }

    private static byte[] activate(byte[] credentialFile) {
        return tpm.activateCredential(AK, EK, credentialFile);
    }

    private static byte[] secret() {
        byte[] s = new byte[32];
        RANDOM.nextBytes(s);
        return s;
    }

    @Test
    void the_TPM_activates_a_credential_made_in_software_for_its_AK_and_EK() {
        AttestationKey ek = AttestationKey.fromPem(new String(tpm.file("ek.pem"), StandardCharsets.US_ASCII));
        byte[] secret = secret();
        MadeCredential c = Credentials.make(ek.publicKey(), akName(), secret);
        byte[] returned = activate(c.toTpm2ToolsFile());
        assertThat(Credentials.check(secret, returned)).as("recovered secret equals the one sent").isTrue();
    }

    @Test
    void the_AK_name_from_its_TPM2B_PUBLIC_is_the_name_tpm2_tools_reports() {
        AttestationKey ak = AttestationKey.fromTpm2bPublic(tpm.file("ak.pub"));
        assertThat(ak.name()).hasValueSatisfying(n -> assertThat(n).isEqualTo(akName()));
    }

    @Test
    void a_shorter_secret_also_round_trips() {
        AttestationKey ek = AttestationKey.fromPem(new String(tpm.file("ek.pem"), StandardCharsets.US_ASCII));
        byte[] secret = new byte[16];
        RANDOM.nextBytes(secret);
        byte[] returned = activate(Credentials.make(ek.publicKey(), akName(), secret).toTpm2ToolsFile());
        assertThat(Credentials.check(secret, returned)).isTrue();
    }

    @Test
    void a_credential_made_for_another_AK_name_does_not_activate() {
        AttestationKey ek = AttestationKey.fromPem(new String(tpm.file("ek.pem"), StandardCharsets.US_ASCII));
        byte[] otherName = akName();
        otherName[7] ^= 0x01;
        MadeCredential c = Credentials.make(ek.publicKey(), otherName, secret());
        // TPM_RC_INTEGRITY on parameter 1 (credentialBlob): the outer HMAC covers the AK Name
        assertThatThrownBy(() -> activate(c.toTpm2ToolsFile()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("tpm2_activatecredential")
                .hasMessageContaining("0x1DF").hasMessageContaining("integrity check failed");
    }

    @Test
    void a_credential_made_for_another_EK_does_not_activate() {
        KeyPair otherEk = CredentialsTest.rsa(2048);
        MadeCredential c = Credentials.make(otherEk.getPublic(), akName(), secret());
        // the seed does not OAEP-decrypt; libtpms 0.9 answers TPM_RC_FAILURE (0x101) here, and goes on working
        assertThatThrownBy(() -> activate(c.toTpm2ToolsFile()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("tpm2_activatecredential");
    }

    @Test
    void the_TPM_still_activates_after_refusals() {
        a_credential_made_for_another_AK_name_does_not_activate();
        a_credential_made_for_another_EK_does_not_activate();
        the_TPM_activates_a_credential_made_in_software_for_its_AK_and_EK();
    }

    /** The reverse direction: tpm2_makecredential (offline) output opens with the software activation. */
    @Test
    void a_credential_from_tpm2_makecredential_opens_with_the_software_inverse(@TempDir Path dir) throws Exception {
        KeyPair ek = CredentialsTest.rsa(2048);
        String pem = "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(ek.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        Files.writeString(dir.resolve("ek.pem"), pem);
        byte[] secret = secret();
        Files.write(dir.resolve("secret"), secret);
        byte[] name = akName();
        Process p = new ProcessBuilder("tpm2_makecredential", "-T", "none", "-u", dir.resolve("ek.pem").toString(),
                "-G", "rsa", "-s", dir.resolve("secret").toString(), "-n", HexFormat.of().formatHex(name),
                "-o", dir.resolve("cred").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(dir.resolve("log"))).isZero();
        MadeCredential c = MadeCredential.fromTpm2ToolsFile(Files.readAllBytes(dir.resolve("cred")));
        assertThat(Credentials.check(secret, Credentials.activate(ek.getPrivate(), name, c))).isTrue();
        // and our file has the same layout and length as the tool's
        assertThat(Credentials.make(ek.getPublic(), name, secret).toTpm2ToolsFile())
                .hasSameSizeAs(Files.readAllBytes(dir.resolve("cred")))
                .startsWith(HexFormat.of().parseHex("badcc0de000000010044"));
    }
}
