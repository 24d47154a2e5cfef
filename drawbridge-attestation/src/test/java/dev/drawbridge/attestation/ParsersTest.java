package dev.drawbridge.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ParsersTest {
    private static final SoftwareTpm TPM = SoftwareTpm.create();
    private static final Quote QUOTE = TPM.quote(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, PcrSelection.of(HashAlg.SHA256, 0, 1, 2, 3, 7));

    private static byte[] append(byte[] data, int extra) {
        return Arrays.copyOf(data, data.length + extra);
    }

    @Test
    void a_TPMS_ATTEST_with_a_wrong_magic_is_rejected_naming_the_magic() {
        byte[] bad = QUOTE.attest().clone();
        bad[0] = 0;
        assertThatThrownBy(() -> TpmsAttest.parse(bad)).isInstanceOf(AttestationException.class).hasMessageContaining("magic");
    }

    @Test
    void a_TPMS_ATTEST_of_another_type_is_rejected() {
        byte[] bad = QUOTE.attest().clone();
        bad[5] = 0x17; // TPM_ST_ATTEST_CERTIFY
        assertThatThrownBy(() -> TpmsAttest.parse(bad)).hasMessageContaining("TPM_ST_ATTEST_QUOTE");
    }

    @Test
    void trailing_garbage_is_rejected_by_every_parser() {
        assertThatThrownBy(() -> TpmsAttest.parse(append(QUOTE.attest(), 1))).hasMessageContaining("trailing");
        assertThatThrownBy(() -> TpmtSignature.parse(append(QUOTE.signature(), 1))).hasMessageContaining("trailing");
        assertThatThrownBy(() -> PcrValues.parse(append(QUOTE.pcrs(), 1))).isInstanceOf(AttestationException.class);
        assertThatThrownBy(() -> AttestationKey.fromTpm2bPublic(append(TPM.akPublic(), 1))).hasMessageContaining("size");
    }

    @Test
    void a_truncated_TPMS_ATTEST_names_the_field_it_was_reading() {
        assertThatThrownBy(() -> TpmsAttest.parse(Arrays.copyOf(QUOTE.attest(), 50)))
                .isInstanceOf(AttestationException.class).hasMessageContaining("extraData");
    }

    @Test
    void a_signature_with_an_unknown_scheme_is_rejected_naming_it() {
        byte[] bad = QUOTE.signature().clone();
        bad[1] = 0x1A;
        assertThatThrownBy(() -> TpmtSignature.parse(bad)).hasMessageContaining("sigAlg 0x1a");
    }

    @Test
    void a_PCR_file_with_too_few_digests_for_its_selection_is_rejected() {
        PcrValues values = PcrValues.parse(QUOTE.pcrs());
        byte[] bad = QUOTE.pcrs().clone();
        bad[132 + 4] = 4; // TPML_DIGEST.count 4 instead of 5
        assertThat(values.values()).hasSize(5);
        assertThatThrownBy(() -> PcrValues.parse(bad)).hasMessageContaining("4 digests for 5");
    }

    @Test
    void the_PCR_file_maps_values_to_PCRs_in_selection_order() {
        PcrValues values = PcrValues.parse(QUOTE.pcrs());
        assertThat(values.bank(HashAlg.SHA256)).containsOnlyKeys(0, 1, 2, 3, 7);
        assertThat(values.value(HashAlg.SHA256, 7)).hasValueSatisfying(v -> assertThat(v).isEqualTo(TPM.pcr(7)));
        assertThat(values.value(HashAlg.SHA256, 4)).isEmpty();
    }

    @Test
    void a_PEM_that_is_not_a_public_key_is_rejected() {
        assertThatThrownBy(() -> AttestationKey.fromPem("hello")).hasMessageContaining("PUBLIC KEY");
        assertThatThrownBy(() -> AttestationKey.fromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"))
                .isInstanceOf(AttestationException.class);
    }

    /** A deterministic mutation loop, so parser robustness is checked even without Jazzer. */
    @Test
    void random_mutations_of_real_structures_parse_or_raise_AttestationException() {
        Random random = new Random(42);
        byte[][] seeds = {QUOTE.attest(), QUOTE.signature(), QUOTE.pcrs(), TPM.akPublic()};
        for (int i = 0; i < 20_000; i++) {
            int which = i % seeds.length;
            byte[] data = mutate(seeds[which], random);
            try {
                switch (which) {
                    case 0 -> TpmsAttest.parse(data);
                    case 1 -> TpmtSignature.parse(data);
                    case 2 -> PcrValues.parse(data);
                    default -> AttestationKey.fromTpm2bPublic(data);
                }
            } catch (AttestationException expected) {
                assertThat(expected.getMessage()).isNotBlank();
            }
        }
    }

    private static byte[] mutate(byte[] seed, Random random) {
        byte[] data = seed.clone();
        switch (random.nextInt(4)) {
            case 0 -> data[random.nextInt(data.length)] = (byte) random.nextInt(256);
            case 1 -> data = Arrays.copyOf(data, random.nextInt(data.length + 1));
            case 2 -> data = Arrays.copyOf(data, data.length + 1 + random.nextInt(8));
            default -> {
                for (int k = 0; k < 4; k++) {
                    data[random.nextInt(data.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
        }
        return data;
    }
}
