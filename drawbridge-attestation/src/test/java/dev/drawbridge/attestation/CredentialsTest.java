package dev.drawbridge.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drawbridge.attestation.Credentials.MadeCredential;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** Credentials.make against its software inverse, with no TPM (see CredentialActivationSwtpmTest for the real one). */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class CredentialsTest {
    private static final KeyPair EK = rsa(2048);
    private static final byte[] AK_NAME = HexFormat.of().parseHex(
            "000b6e7892073593ffd89f257338dfa0e7dad4963a54cbc90a22792b4c3ad898a2fd");
    private static final byte[] SECRET = HexFormat.of().parseHex(
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");

    static KeyPair rsa(int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void a_credential_activates_with_the_EK_private_key_and_the_same_AK_name() {
        MadeCredential c = Credentials.make(EK.getPublic(), AK_NAME, SECRET);
        assertThat(Credentials.activate(EK.getPrivate(), AK_NAME, c)).isEqualTo(SECRET);
        // TPM2B_ID_OBJECT: u16 size, TPM2B_DIGEST(HMAC-SHA-256), encIdentity of TPM2B_DIGEST(32 bytes)
        assertThat(c.credentialBlob()).hasSize(2 + 2 + 32 + 2 + 32);
        assertThat(c.credentialBlob()[0]).isEqualTo((byte) 0);
        assertThat(c.credentialBlob()[1]).isEqualTo((byte) 68);
        assertThat(c.credentialBlob()[3]).isEqualTo((byte) 32);
        assertThat(c.encryptedSecret()).hasSize(2 + 256);
    }

    @Test
    void a_credential_for_another_AK_name_does_not_activate() {
        byte[] other = AK_NAME.clone();
        other[5] ^= 1;
        MadeCredential c = Credentials.make(EK.getPublic(), other, SECRET);
        assertThatThrownBy(() -> Credentials.activate(EK.getPrivate(), AK_NAME, c))
                .isInstanceOf(AttestationException.class).hasMessageContaining("integrity");
    }

    @Test
    void a_credential_for_another_EK_does_not_activate() {
        MadeCredential c = Credentials.make(rsa(2048).getPublic(), AK_NAME, SECRET);
        assertThatThrownBy(() -> Credentials.activate(EK.getPrivate(), AK_NAME, c))
                .isInstanceOf(AttestationException.class);
    }

    @Test
    void each_credential_uses_a_fresh_seed() {
        MadeCredential a = Credentials.make(EK.getPublic(), AK_NAME, SECRET);
        MadeCredential b = Credentials.make(EK.getPublic(), AK_NAME, SECRET);
        assertThat(a.credentialBlob()).isNotEqualTo(b.credentialBlob());
        assertThat(a.encryptedSecret()).isNotEqualTo(b.encryptedSecret());
    }

    @Test
    void the_tpm2_tools_file_has_the_magic_the_version_and_both_TPM2Bs_and_reads_back() {
        MadeCredential c = Credentials.make(EK.getPublic(), AK_NAME, SECRET);
        byte[] file = c.toTpm2ToolsFile();
        assertThat(file).hasSize(336);
        assertThat(HexFormat.of().formatHex(file, 0, 10)).isEqualTo("badcc0de000000010044");
        assertThat(HexFormat.of().formatHex(file, 78, 80)).isEqualTo("0100");
        assertThat(MadeCredential.fromTpm2ToolsFile(file)).isEqualTo(c);
        byte[] bad = file.clone();
        bad[0] = 0;
        assertThatThrownBy(() -> MadeCredential.fromTpm2ToolsFile(bad)).hasMessageContaining("magic");
        byte[] longer = Arrays.copyOf(file, file.length + 1);
        assertThatThrownBy(() -> MadeCredential.fromTpm2ToolsFile(longer)).hasMessageContaining("trailing");
    }

    @Test
    void unsupported_keys_names_and_secret_sizes_are_refused() throws Exception {
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        assertThatThrownBy(() -> Credentials.make(ec.generateKeyPair().getPublic(), AK_NAME, SECRET))
                .hasMessageContaining("RSA-2048");
        assertThatThrownBy(() -> Credentials.make(rsa(3072).getPublic(), AK_NAME, SECRET))
                .hasMessageContaining("RSA-2048");
        assertThatThrownBy(() -> Credentials.make(EK.getPublic(), new byte[] {0, 0x0b, 1}, SECRET))
                .hasMessageContaining("Name");
        assertThatThrownBy(() -> Credentials.make(EK.getPublic(), AK_NAME, new byte[33]))
                .hasMessageContaining("1 to 32");
        assertThatThrownBy(() -> Credentials.make(EK.getPublic(), AK_NAME, new byte[0]))
                .hasMessageContaining("1 to 32");
    }

    @Test
    void check_compares_the_whole_secret() {
        assertThat(Credentials.check(SECRET, SECRET.clone())).isTrue();
        byte[] other = SECRET.clone();
        other[31] ^= 1;
        assertThat(Credentials.check(SECRET, other)).isFalse();
        assertThat(Credentials.check(SECRET, Arrays.copyOf(SECRET, 31))).isFalse();
        assertThat(Credentials.check(SECRET, null)).isFalse();
        assertThat(Credentials.check(new byte[0], new byte[0])).isFalse();
    }

    @Test
    void KDFa_output_is_truncated_SP800_108_counter_mode() {
        byte[] key = new byte[32];
        byte[] k128 = Credentials.kdfa(HashAlg.SHA256, key, "STORAGE", AK_NAME, new byte[0], 128);
        byte[] k256 = Credentials.kdfa(HashAlg.SHA256, key, "STORAGE", AK_NAME, new byte[0], 256);
        byte[] k512 = Credentials.kdfa(HashAlg.SHA256, key, "STORAGE", AK_NAME, new byte[0], 512);
        assertThat(k128).hasSize(16);
        assertThat(k256).hasSize(32);
        // the size in bits is an input, so a shorter key is not a prefix of a longer one
        assertThat(Arrays.copyOf(k256, 16)).isNotEqualTo(k128);
        assertThat(k512).hasSize(64);
        assertThat(Arrays.copyOfRange(k512, 32, 64)).isNotEqualTo(Arrays.copyOf(k512, 32));
    }
}
