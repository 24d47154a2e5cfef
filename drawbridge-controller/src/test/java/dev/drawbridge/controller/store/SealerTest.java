package dev.drawbridge.controller.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** A secret is sealed at rest: the stored text reveals nothing and opens only for its owner and key. */
class SealerTest {
    private static final byte[] PIN = HexFormat.of().parseHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");

    @Test
    @DisplayName("the sealed text holds no trace of the pin key and opens back to it")
    void sealsAndOpens() {
        Sealer sealer = Sealer.ephemeral();
        String stored = sealer.seal("ticket-1", PIN);
        assertThat(stored).startsWith("v1:").doesNotContain(HexFormat.of().formatHex(PIN));
        assertThat(sealer.open("ticket-1", stored)).isEqualTo(PIN);
        assertThat(sealer.seal("ticket-1", PIN)).as("a fresh nonce each time").isNotEqualTo(stored);
    }

    @Test
    @DisplayName("a sealed key does not open under another controller's key, nor moved to another ticket")
    void opensOnlyForItsTicketAndKey() {
        Sealer sealer = Sealer.ephemeral();
        String stored = sealer.seal("ticket-1", PIN);
        assertThatThrownBy(() -> Sealer.ephemeral().open("ticket-1", stored)).hasMessageContaining("store.kek");
        assertThatThrownBy(() -> sealer.open("ticket-2", stored)).hasMessageContaining("ticket-2");
    }

    @Test
    @DisplayName("a value stored in clear before sealing existed is told apart, and not opened as sealed")
    void tellsLegacyRowsApart() {
        String plain = HexFormat.of().formatHex(PIN);
        assertThat(Sealer.isSealed(plain)).isFalse();
        assertThatThrownBy(() -> Sealer.ephemeral().open("t", plain)).hasMessageContaining("not sealed");
    }
}
