package dev.drawbridge.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.attestation.EkCertificates.Failure;
import dev.drawbridge.attestation.EkCertificates.Result;
import dev.drawbridge.testkit.Swtpm;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/**
 * EK certificates as swtpm_setup --create-ek-cert writes them with a local CA of its own (root
 * swtpm-localca-rootca, intermediate swtpm-localca), checked with the JDK's PKIX validator.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class EkCertificatesTest {
    private static final String AK = "0x81010002";
    private static Swtpm tpm;
    private static Swtpm.Manufactured otherCa;
    private static X509Certificate ek;
    private static X509Certificate intermediate;
    private static X509Certificate root;
    private static PublicKey tpmEk;

    @BeforeAll
    static void setUp() throws Exception {
        Swtpm.Manufactured made = Swtpm.manufacture();
        tpm = Swtpm.start(made);
        tpm.readPublic(Swtpm.Manufactured.EK, "ek");
        tpm.createAk(Swtpm.Manufactured.EK, AK, "rsa", "rsassa", "ak");
        otherCa = Swtpm.manufacture();
        ek = made.ekCertificate();
        intermediate = made.intermediate();
        root = made.root();
        tpmEk = AttestationKey.fromPem(new String(tpm.file("ek.pem"), StandardCharsets.US_ASCII)).publicKey();
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (tpm != null) {
            tpm.close();
        }
        if (otherCa != null) {
            otherCa.delete();
        }
    }

    private static Optional<Failure> failureOf(Result r) {
        return r.reason();
    }

    @Test
    void the_EK_certificate_verifies_against_the_local_CA_root_and_intermediate_and_the_TPMs_EK() {
        Result r = EkCertificates.verify(ek, List.of(intermediate), List.of(root), tpmEk);
        assertThat(r.valid()).as(r.toString()).isTrue();
        EkCertificates.Valid v = (EkCertificates.Valid) r;
        assertThat(v.path()).containsExactly(ek, intermediate);
        assertThat(v.root()).isEqualTo(root);
        assertThat(v.tpm()).hasValueSatisfying(id -> {
            assertThat(id.manufacturer()).contains("id:00001014");
            assertThat(id.model()).contains("swtpm");
            assertThat(id.version()).isPresent();
        });
    }

    @Test
    void the_certificate_in_NV_is_the_one_written_to_the_file_and_certifies_the_RSA_EK() {
        X509Certificate fromNv = Swtpm.certificate(tpm.nvRead(Swtpm.Manufactured.EK_CERTIFICATE_NV));
        assertThat(fromNv).isEqualTo(ek);
        assertThat(((RSAPublicKey) fromNv.getPublicKey()).getModulus().bitLength()).isEqualTo(2048);
        assertThat(EkCertificates.verify(fromNv, List.of(intermediate), List.of(root), tpmEk).valid()).isTrue();
    }

    @Test
    void swtpms_EK_certificate_has_a_critical_SAN_that_the_JDK_validator_accepts() {
        assertThat(ek.getCriticalExtensionOIDs()).contains("2.5.29.17");
        assertThat(EkCertificates.verify(ek, List.of(intermediate), List.of(root)).valid()).isTrue();
    }

    @Test
    void the_manufacturer_comes_from_the_SAN_directoryName() {
        assertThat(EkCertificates.manufacturer(ek)).contains("id:00001014");
        assertThat(EkCertificates.manufacturer(root)).isEmpty();
    }

    @Test
    void the_root_alone_does_not_build_a_chain() {
        assertThat(failureOf(EkCertificates.verify(ek, List.of(), List.of(root)))).contains(Failure.CHAIN_DOES_NOT_BUILD);
    }

    @Test
    void another_CA_does_not_build_a_chain_even_with_the_same_names() throws Exception {
        X509Certificate otherIntermediate = otherCa.intermediate();
        X509Certificate otherRoot = otherCa.root();
        assertThat(otherIntermediate.getSubjectX500Principal()).isEqualTo(intermediate.getSubjectX500Principal());
        assertThat(failureOf(EkCertificates.verify(ek, List.of(otherIntermediate), List.of(otherRoot))))
                .contains(Failure.CHAIN_DOES_NOT_BUILD);
        // the right intermediate under the wrong root
        assertThat(failureOf(EkCertificates.verify(ek, List.of(intermediate), List.of(otherRoot))))
                .contains(Failure.CHAIN_DOES_NOT_BUILD);
        // both CAs offered: the right one is found
        assertThat(EkCertificates.verify(ek, List.of(otherIntermediate, intermediate), List.of(otherRoot, root), tpmEk)
                .valid()).isTrue();
    }

    @Test
    void a_tampered_certificate_does_not_verify() throws Exception {
        byte[] der = ek.getEncoded();
        byte[] modulus = ((RSAPublicKey) ek.getPublicKey()).getModulus().toByteArray();
        int at = indexOf(der, Arrays.copyOfRange(modulus, 1, 17));
        assertThat(at).isPositive();
        der[at + 8] ^= 0x01;
        X509Certificate tampered = Swtpm.certificate(der);
        assertThat(failureOf(EkCertificates.verify(tampered, List.of(intermediate), List.of(root))))
                .contains(Failure.CHAIN_DOES_NOT_BUILD);
    }

    @Test
    void a_certificate_outside_its_validity_is_expired_or_not_yet_valid() {
        Instant after = Instant.parse("+10000-01-01T00:00:00Z");
        assertThat(failureOf(EkCertificates.verify(ek, List.of(intermediate), List.of(root), tpmEk, after)))
                .contains(Failure.EXPIRED);
        Instant before = ek.getNotBefore().toInstant().minusSeconds(86_400);
        assertThat(failureOf(EkCertificates.verify(ek, List.of(intermediate), List.of(root), tpmEk, before)))
                .contains(Failure.NOT_YET_VALID);
    }

    @Test
    void a_certificate_for_another_key_than_the_TPMs_EK_is_a_key_mismatch() {
        PublicKey ak = AttestationKey.fromPem(new String(tpm.file("ak.pem"), StandardCharsets.US_ASCII)).publicKey();
        assertThat(failureOf(EkCertificates.verify(ek, List.of(intermediate), List.of(root), ak)))
                .contains(Failure.KEY_MISMATCH);
    }

    @Test
    void a_CA_certificate_that_chains_is_not_an_EK_certificate() {
        assertThat(failureOf(EkCertificates.verify(intermediate, List.of(), List.of(root))))
                .contains(Failure.NOT_AN_EK_CERTIFICATE);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
