package dev.drawbridge.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** How a controller or agent agrees on the peer-API version with a peer built earlier or later (docs/protocol.md). */
class PeerVersionTest {
    @Test
    @DisplayName("a peer listing our version is spoken to, whatever else it lists; one that does not is refused,"
            + " naming both lists")
    void versions() {
        assertThat(PeerClient.versionMismatch(List.of(1))).isEmpty();
        assertThat(PeerClient.versionMismatch(List.of(1, 2, 7))).as("a newer peer that still speaks 1").isEmpty();
        assertThat(PeerClient.versionMismatch(List.of(2))).hasValue(
                "the peer speaks peer-API versions [2]; this side speaks [1]");
        assertThat(PeerClient.versionMismatch(null)).hasValueSatisfying(m -> assertThat(m).contains("null"));
        assertThat(PeerClient.versionMismatch("1")).as("a version as a string is not a version").isPresent();
    }
}
