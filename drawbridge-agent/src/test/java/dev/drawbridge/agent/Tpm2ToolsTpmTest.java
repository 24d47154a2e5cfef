package dev.drawbridge.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.protocol.AkResult;
import dev.drawbridge.protocol.QuoteResult;
import dev.drawbridge.attestation.AttestationKey;
import dev.drawbridge.attestation.Expectations;
import dev.drawbridge.attestation.FailureCode;
import dev.drawbridge.attestation.HashAlg;
import dev.drawbridge.attestation.PcrSelection;
import dev.drawbridge.attestation.PcrValues;
import dev.drawbridge.attestation.Quote;
import dev.drawbridge.attestation.QuoteVerifier;
import dev.drawbridge.attestation.ReferenceValues;
import dev.drawbridge.attestation.Verdict;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.testkit.Swtpm;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's tpm2-tools backend against a real swtpm, checked by the controller's verifier. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class Tpm2ToolsTpmTest {
    private static final PcrSelection REQUIRED = PcrSelection.of(HashAlg.SHA256, 0, 1, 2, 3, 7);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static Swtpm swtpm;
    @TempDir
    static Path shared;
    @TempDir
    Path tmp;
    private final QuoteVerifier verifier = QuoteVerifier.create();

    @BeforeAll
    static void startTpm() throws Exception {
        swtpm = Swtpm.start();
    }

    @AfterAll
    static void stopTpm() throws Exception {
        if (swtpm != null) {
            swtpm.close();
        }
    }

    private static Tpm2ToolsTpm tpm() {
        return new Tpm2ToolsTpm(swtpm.tcti(), shared.resolve("data"));
    }

    private static byte[] nonce() {
        byte[] n = new byte[32];
        RANDOM.nextBytes(n);
        return n;
    }

    private static byte[] b64(Object value) {
        return Base64.getDecoder().decode((String) value);
    }

    private static AttestationKey ak(AkResult info) {
        return AttestationKey.fromTpm2bPublic(b64(info.akPublic())).withQualifiedName(b64(info.akQualifiedName()));
    }

    private static Quote quoteOf(QuoteResult q) {
        return new Quote(b64(q.attest()), b64(q.signature()), b64(q.pcrs()));
    }

    private static ReferenceValues golden() {
        return ReferenceValues.of(HashAlg.SHA256, swtpm.pcrs(0, 1, 2, 3, 7));
    }

    private Verdict verify(Tpm tpm, QuoteResult quote, byte[] nonce, ReferenceValues reference) {
        return verifier.verify(quoteOf(quote), Expectations.of(ak(tpm.akInfo()), nonce, REQUIRED, reference));
    }

    @Test
    void a_quote_with_the_persistent_AK_is_trusted_against_golden_values_from_tpm2_pcrread() {
        Tpm2ToolsTpm tpm = tpm();
        AkResult info = tpm.akInfo();
        ReferenceValues reference = golden();
        byte[] nonce = nonce();
        QuoteResult quote = tpm.quote(nonce, REQUIRED);
        assertThat(verify(tpm, quote, nonce, reference)).isInstanceOf(Verdict.Trusted.class);
        assertThat(info.akPublic()).isEqualTo(tpm.akInfo().akPublic());

        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long start = System.nanoTime();
            tpm.quote(nonce(), REQUIRED);
            best = Math.min(best, System.nanoTime() - start);
        }
        System.out.printf("Tpm2ToolsTpm.quote over swtpm: best of 5 %.1f ms%n", best / 1e6);
        assertThat(swtpm.transientHandles()).as("transient objects left in a TPM with 3 slots").isEmpty();
    }

    @Test
    void after_PCR_7_is_extended_the_next_quote_fails_its_reference_value_for_PCR_7_only() {
        Tpm2ToolsTpm tpm = tpm();
        tpm.akInfo();
        ReferenceValues before = golden();
        byte[] first = nonce();
        assertThat(verify(tpm, tpm.quote(first, REQUIRED), first, before).trusted()).isTrue();

        byte[] evil = new byte[32];
        RANDOM.nextBytes(evil);
        swtpm.extend(7, evil);
        byte[] nonce = nonce();
        Verdict verdict = verify(tpm, tpm.quote(nonce, REQUIRED), nonce, before);
        assertThat(verdict).isInstanceOf(Verdict.Failed.class);
        Verdict.Failed failed = (Verdict.Failed) verdict;
        assertThat(failed.reasons()).extracting(Verdict.Reason::code).containsOnly(FailureCode.REFERENCE_MISMATCH);
        assertThat(failed.reasons()).singleElement().extracting(Verdict.Reason::detail).asString().contains("PCR 7");

        byte[] again = nonce();
        assertThat(verify(tpm, tpm.quote(again, REQUIRED), again, golden()).trusted())
                .as("the new values are consistent, just not the old golden ones").isTrue();
    }

    @Test
    void a_second_agent_over_the_same_data_dir_and_TPM_reuses_the_AK_and_a_fresh_data_dir_adopts_it() throws Exception {
        AkResult first = tpm().akInfo();
        AkResult second = tpm().akInfo();
        assertThat(second).isEqualTo(first);
        assertThat(Files.readAllBytes(shared.resolve("data").resolve(Tpm2ToolsTpm.AK_PUBLIC_FILE)))
                .isEqualTo(b64(first.akPublic()));
        assertThat(Files.readAllBytes(shared.resolve("data").resolve(Tpm2ToolsTpm.AK_QNAME_FILE)))
                .isEqualTo(b64(first.akQualifiedName()));

        Path fresh = tmp.resolve("fresh-data");
        assertThat(new Tpm2ToolsTpm(swtpm.tcti(), fresh).akInfo()).isEqualTo(first);
        assertThat(Files.readAllBytes(fresh.resolve(Tpm2ToolsTpm.AK_PUBLIC_FILE))).isEqualTo(b64(first.akPublic()));
        String persistent = swtpm.tpm2("tpm2_getcap", "handles-persistent");
        assertThat(persistent).contains(Tpm2ToolsTpm.EK_HANDLE).contains(Tpm2ToolsTpm.AK_HANDLE);
        assertThat(persistent.lines().filter(l -> l.startsWith("-")).count()).as(persistent).isEqualTo(2);
        assertThat(swtpm.transientHandles()).isEmpty();
    }

    /** Plays the race: after tpm2_quote, PCR 7 moves and the PCR file holds the newer values. */
    private static final class RacingRunner implements Tpm2ToolsRunner {
        final Tpm2ToolsRunner real = new Tpm2ToolsRunner.Subprocess(swtpm.tcti());
        final AtomicInteger quotes = new AtomicInteger();
        final int racedQuotes;

        RacingRunner(int racedQuotes) {
            this.racedQuotes = racedQuotes;
        }

        @Override
        public String run(Duration timeout, List<String> command) {
            String out = real.run(timeout, command);
            if (command.getFirst().equals("tpm2_quote") && quotes.incrementAndGet() <= racedQuotes) {
                byte[] extension = new byte[32];
                RANDOM.nextBytes(extension);
                swtpm.extend(7, extension);
                Path pcrFile = Path.of(command.get(command.indexOf("-o") + 1));
                try {
                    PcrValues quoted = PcrValues.parse(Files.readAllBytes(pcrFile));
                    List<byte[]> now = new ArrayList<>(swtpm.pcrs(0, 1, 2, 3, 7).values());
                    Files.write(pcrFile, new PcrValues(quoted.selection(), now).encode());
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }
            return out;
        }
    }

    @Test
    void a_PCR_that_moves_between_the_quote_and_the_PCR_read_makes_the_agent_quote_again() {
        Tpm2ToolsTpm reference = tpm();
        reference.akInfo();
        RacingRunner racing = new RacingRunner(1);
        Tpm2ToolsTpm tpm = new Tpm2ToolsTpm(racing, new DataFiles(shared.resolve("data")));
        byte[] nonce = nonce();
        QuoteResult quote = tpm.quote(nonce, REQUIRED);
        assertThat(racing.quotes.get()).isEqualTo(2);
        assertThat(verify(tpm, quote, nonce, golden())).isInstanceOf(Verdict.Trusted.class);
    }

    @Test
    void a_PCR_that_keeps_moving_fails_the_command_after_three_retries() {
        tpm().akInfo();
        RacingRunner racing = new RacingRunner(Integer.MAX_VALUE);
        Tpm2ToolsTpm tpm = new Tpm2ToolsTpm(racing, new DataFiles(shared.resolve("data")));
        assertThatThrownBy(() -> tpm.quote(nonce(), REQUIRED)).isInstanceOf(CommandFailed.class)
                .hasMessageContaining("keep changing");
        assertThat(racing.quotes.get()).isEqualTo(1 + Tpm2ToolsTpm.QUOTE_RETRIES);
    }

    @Test
    void a_nonce_longer_than_the_TPM_takes_is_refused_before_quoting() {
        Tpm2ToolsTpm tpm = tpm();
        assertThatThrownBy(() -> tpm.quote(new byte[65], REQUIRED)).isInstanceOf(CommandFailed.class)
                .hasMessageContaining("1 to 64 bytes, not 65");
        byte[] nonce = new byte[64];
        RANDOM.nextBytes(nonce);
        assertThat(verify(tpm, tpm.quote(nonce, REQUIRED), nonce, golden()).trusted()).isTrue();
    }

    @Test
    void an_unreachable_TPM_is_a_command_failure_naming_the_tool_and_the_TCTI() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Tpm2ToolsTpm tpm = new Tpm2ToolsTpm("swtpm:host=127.0.0.1,port=" + port, tmp.resolve("data"));
        long start = System.nanoTime();
        assertThatThrownBy(tpm::akInfo).isInstanceOf(CommandFailed.class)
                .hasMessageContaining("tpm2_getcap failed").hasMessageContaining("port=" + port);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void an_agent_started_with_tpm2_tools_answers_get_ak_and_quote_over_its_API() throws Exception {
        TestPki pki = new TestPki(tmp);
        try (Agent agent = Agent.start(AgentConfig.of(shared.resolve("data"), pki.payloadFile(pki.payloadFields("n1")))
                .withListen("127.0.0.1:0").withTpm("tpm2-tools").withTcti(swtpm.tcti()))) {
            AgentClient client = new AgentClient(agent.port(), pki.client(Optional.of(Profile.CONTROLLER)));
            JsonNode ak = client.run("attestation.get_ak", Map.of());
            assertThat(ak.get("status").asText()).as(ak.toString()).isEqualTo("SUCCEEDED");
            AttestationKey key = AttestationKey.fromTpm2bPublic(b64(ak.at("/result/ak_public").asText()))
                    .withQualifiedName(b64(ak.at("/result/ak_qualified_name").asText()));

            ReferenceValues reference = golden();
            byte[] nonce = nonce();
            JsonNode done = client.run("attestation.quote", Map.of(
                    "nonce", Base64.getUrlEncoder().withoutPadding().encodeToString(nonce), "pcrs", "sha256:0,1,2,3,7"));
            assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
            Quote quote = new Quote(b64(done.at("/result/attest").asText()), b64(done.at("/result/signature").asText()),
                    b64(done.at("/result/pcrs").asText()));
            assertThat(verifier.verify(quote, Expectations.of(key, nonce, REQUIRED, reference)))
                    .isInstanceOf(Verdict.Trusted.class);
        }
    }
}
