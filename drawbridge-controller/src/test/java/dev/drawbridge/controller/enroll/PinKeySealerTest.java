package dev.drawbridge.controller.enroll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** A ticket's pin key is sealed at rest: the stored text reveals nothing and opens only for its ticket and key. */
class PinKeySealerTest {
    private static final byte[] PIN = HexFormat.of().parseHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");

    @Test
    @DisplayName("the sealed text holds no trace of the pin key and opens back to it")
    void sealsAndOpens() {
        PinKeySealer sealer = PinKeySealer.ephemeral();
        String stored = sealer.seal("ticket-1", PIN);
        assertThat(stored).startsWith("v1:").doesNotContain(HexFormat.of().formatHex(PIN));
        assertThat(sealer.open("ticket-1", stored)).isEqualTo(PIN);
        assertThat(sealer.seal("ticket-1", PIN)).as("a fresh nonce each time").isNotEqualTo(stored);
    }

    @Test
    @DisplayName("a sealed key does not open under another controller's key, nor moved to another ticket")
    void opensOnlyForItsTicketAndKey() {
        PinKeySealer sealer = PinKeySealer.ephemeral();
        String stored = sealer.seal("ticket-1", PIN);
        assertThatThrownBy(() -> PinKeySealer.ephemeral().open("ticket-1", stored)).hasMessageContaining("store.kek");
        assertThatThrownBy(() -> sealer.open("ticket-2", stored)).hasMessageContaining("ticket-2");
    }

    @Test
    @DisplayName("a pin key stored in clear before sealing existed is still read")
    void readsLegacyRows() {
        assertThat(PinKeySealer.ephemeral().open("t", HexFormat.of().formatHex(PIN))).isEqualTo(PIN);
    }
}
