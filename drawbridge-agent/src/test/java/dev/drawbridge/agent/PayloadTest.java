package dev.drawbridge.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.Duration;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PayloadTest {
    @TempDir
    Path tmp;

    static Stream<Arguments> badPayloads() {
        BiFunction<TestPki, Path, Path> tamperedSignature = (pki, dir) -> {
            String jws = pki.ca.signJws(TestPki.json(pki.payloadFields("n1")));
            char last = jws.charAt(jws.length() - 5);
            return pki.write("p", jws.substring(0, jws.length() - 5) + (last == 'A' ? 'B' : 'A') + jws.substring(jws.length() - 4));
        };
        BiFunction<TestPki, Path, Path> otherCaSigned = (pki, dir) -> {
            TestPki other = new TestPki(mkdir(dir.resolve("other")));
            return pki.write("p", other.ca.signJws(TestPki.json(pki.payloadFields("n1"))));
        };
        BiFunction<TestPki, Path, Path> notJws = (pki, dir) -> pki.write("p", "{\"node_name\": \"n1\"}");
        BiFunction<TestPki, Path, Path> noTicket = (pki, dir) -> {
            Map<String, Object> f = pki.payloadFields("n1");
            f.remove("ticket");
            return pki.payloadFile(f);
        };
        BiFunction<TestPki, Path, Path> callbackWithoutUrl = (pki, dir) -> {
            Map<String, Object> f = pki.payloadFields("n1");
            f.put("mode", "callback");
            return pki.payloadFile(f);
        };
        BiFunction<TestPki, Path, Path> wrongVersion = (pki, dir) -> {
            Map<String, Object> f = pki.payloadFields("n1");
            f.put("v", 2);
            return pki.payloadFile(f);
        };
        BiFunction<TestPki, Path, Path> expired = (pki, dir) -> {
            Map<String, Object> f = pki.payloadFields("n1");
            f.put("issued_at", Instant.now().minus(Duration.ofHours(2)).toString());
            f.put("expires_at", Instant.now().minus(Duration.ofHours(1)).toString());
            return pki.payloadFile(f);
        };
        BiFunction<TestPki, Path, Path> clockBehind = (pki, dir) -> {
            Map<String, Object> f = pki.payloadFields("n1");
            f.put("issued_at", Instant.now().plus(Duration.ofMinutes(20)).toString());
            f.put("time", Instant.now().plus(Duration.ofMinutes(20)).toString());
            return pki.payloadFile(f);
        };
        return Stream.of(
                Arguments.of("an expired payload", expired, "expired at"),
                Arguments.of("a clock skewed past the bound", clockBehind, "s behind the controller's"),
                Arguments.of("a tampered signature", tamperedSignature, "signature does not verify"),
                Arguments.of("a signature by another CA", otherCaSigned, "signature does not verify"),
                Arguments.of("plain JSON", notJws, "not a compact JWS"),
                Arguments.of("no ticket", noTicket, "malformed"),
                Arguments.of("callback mode without a URL", callbackWithoutUrl, "controller_url"),
                Arguments.of("an unknown version", wrongVersion, "version"));
    }

    @ParameterizedTest(name = "the agent refuses to start with {0}")
    @MethodSource("badPayloads")
    void theAgentRefusesToStartWithABadPayload(String what, BiFunction<TestPki, Path, Path> make, String message) {
        TestPki pki = new TestPki(tmp);
        Path payload = make.apply(pki, tmp);
        assertThatThrownBy(() -> Agent.start(AgentConfig.of(tmp.resolve("data"), payload).withListen("127.0.0.1:0")))
                .isInstanceOf(AgentException.class)
                .hasMessageContaining("refusing to start")
                .hasMessageContaining(message);
    }

    @Test
    void aReplayedOrForeignPayloadIsRefusedOnceANewerOneWasAccepted() {
        TestPki pki = new TestPki(tmp);
        Map<String, Object> older = pki.payloadFields("n1");
        older.put("issued_at", Instant.now().minus(Duration.ofMinutes(10)).toString());
        String olderJws = pki.ca.signJws(TestPki.json(older));
        Path data = tmp.resolve("data");
        try (Agent agent = Agent.start(AgentConfig.of(data, pki.payloadFile(pki.payloadFields("n1")))
                .withListen("127.0.0.1:0"))) {
            assertThat(agent.status().identity()).isEqualTo("fresh");
        }
        Path replayed = pki.write("older.jws", olderJws);
        assertThatThrownBy(() -> Agent.start(AgentConfig.of(data, replayed).withListen("127.0.0.1:0")))
                .isInstanceOf(AgentException.class).hasMessageContaining("replayed")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        TestPki other = new TestPki(mkdir(tmp.resolve("other")));
        Path foreign = other.payloadFile(other.payloadFields("n1"));
        assertThatThrownBy(() -> Agent.start(AgentConfig.of(data, foreign).withListen("127.0.0.1:0")))
                .isInstanceOf(AgentException.class).hasMessageContaining("another controller");
        // The accepted payload itself still starts the agent (a restart).
        try (Agent again = Agent.start(AgentConfig.of(data, pki.path("payload.jws")).withListen("127.0.0.1:0"))) {
            assertThat(again.status().nodeName()).contains("n1");
        }
    }

    @Test
    void aGoodPoolPayloadStartsAFreshAgent() {
        TestPki pki = new TestPki(tmp);
        try (Agent agent = Agent.start(AgentConfig.of(tmp.resolve("data"), pki.payloadFile(pki.payloadFields("n1")))
                .withListen("127.0.0.1:0"))) {
            assertThat(agent.status().identity()).isEqualTo("fresh");
            assertThat(agent.status().mode()).isEqualTo("poll");
            assertThat(agent.status().nodeName()).contains("n1");
        }
    }

    static Path mkdir(Path p) {
        try {
            return Files.createDirectories(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
