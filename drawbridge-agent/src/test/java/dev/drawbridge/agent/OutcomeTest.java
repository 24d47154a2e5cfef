package dev.drawbridge.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.protocol.AkResult;
import dev.drawbridge.protocol.CsrResult;
import dev.drawbridge.protocol.ProveResult;
import dev.drawbridge.protocol.QuoteResult;
import dev.drawbridge.protocol.Wire;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The agent builds the results the controller reads from the protocol's records, and they read back the same. */
class OutcomeTest {
    @Test
    @DisplayName("a record result is written with the wire's snake_case keys and reads back as the same record")
    void recordsRoundTrip() {
        AkResult ak = new AkResult("AAEC", "AAsA", Optional.of("-----BEGIN PUBLIC KEY-----"), Optional.of("MIIB"));
        Map<String, Object> written = Outcome.of(ak).result();
        assertThat(written).containsOnlyKeys("ak_public", "ak_qualified_name", "ek_public", "ek_certificate");
        assertThat(Wire.JSON.convertValue(written, AkResult.class)).isEqualTo(ak);

        QuoteResult quote = new QuoteResult("YQ==", "Yg==", "Yw==");
        assertThat(Wire.JSON.convertValue(Outcome.of(quote).result(), QuoteResult.class)).isEqualTo(quote);
        ProveResult proof = new ProveResult("t-1", "cHJvb2Y");
        assertThat(Outcome.of(proof).result()).isEqualTo(Map.of("ticket_id", "t-1", "proof", "cHJvb2Y"));
    }

    @Test
    @DisplayName("an absent optional field is left out, not sent as null")
    void absentFieldsAreOmitted() {
        Map<String, Object> first = Outcome.of(new CsrResult("PEM", Optional.empty(), Optional.empty())).result();
        assertThat(first).isEqualTo(Map.of("csr", "PEM"));
        Map<String, Object> renewal = Outcome.of(new CsrResult("PEM", Optional.of("sig"), Optional.of("0a"))).result();
        assertThat(renewal).isEqualTo(Map.of("csr", "PEM", "possession", "sig", "serial", "0a"));
        AkResult softwareAk = new AkResult("AAEC", "AAsA", Optional.empty(), Optional.empty());
        assertThat(Outcome.of(softwareAk).result()).containsOnlyKeys("ak_public", "ak_qualified_name");
    }
}
