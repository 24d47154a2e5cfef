package dev.drawbridge.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.protocol.BootstrapPayload;
import dev.drawbridge.protocol.TicketProof;
import dev.drawbridge.protocol.Wire;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The shared protocol pieces the controller relies on, pinned to known answers. */
class WireFormatTest {
    @Test
    void theTicketProofMatchesAnIndependentlyComputedVector() {
        // Computed with Python's hmac module from the formula in TicketProof's class comment.
        byte[] pinKey = TicketProof.pinKey("dbt1.abc.s3cret");
        assertThat(HexFormat.of().formatHex(pinKey))
                .isEqualTo("e2844abe650b7fe686ec080786f35891c434feea0c9969da2b2f3daf891efbf8");
        byte[] nonce = new byte[16];
        for (int i = 0; i < nonce.length; i++) {
            nonce[i] = (byte) i;
        }
        byte[] fingerprint = new byte[32];
        Arrays.fill(fingerprint, (byte) 0xff);
        assertThat(HexFormat.of().formatHex(TicketProof.proof(pinKey, nonce, fingerprint)))
                .isEqualTo("358035abd1b5342c86442805fc3c2785f30610a93f630c5608c3790f53b1534f");
        assertThat(TicketProof.ticketId("dbt1.abc.s3cret")).isEqualTo("abc");
    }

    @Test
    void malformedTicketsAreRejected() {
        for (String bad : new String[] {"dbt2.a.b", "dbt1.a", "dbt1..b", "dbt1.a.", "dbt1.a.b.c"}) {
            assertThatThrownBy(() -> TicketProof.ticketId(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aBootstrapPayloadRoundTripsInSnakeCaseWithItsVersionAndHidesTheTicketWhenPrinted() throws Exception {
        BootstrapPayload p = new BootstrapPayload("id-1", "n1", "PEM", "dbt1.abc.s3cret",
                Instant.parse("2026-01-02T03:04:05Z"), "poll", Optional.empty(), Instant.parse("2026-01-02T03:04:06Z"), Optional.empty());
        JsonNode json = Wire.JSON.valueToTree(p);
        assertThat(json.get("v").asInt()).isEqualTo(1);
        assertThat(json.get("node_name").asText()).isEqualTo("n1");
        assertThat(json.get("issued_at").asText()).isEqualTo("2026-01-02T03:04:05Z");
        assertThat(Wire.JSON.treeToValue(json, BootstrapPayload.class)).isEqualTo(p);
        assertThat(p.toString()).doesNotContain("s3cret").contains("abc");
    }
}
