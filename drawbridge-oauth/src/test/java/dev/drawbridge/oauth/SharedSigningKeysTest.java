package dev.drawbridge.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Two controllers sharing one key vault (one store): a key one of them rotates to is known to the other at its
 * next look (a token it signed verifies on both), and the other does not rotate a second time.
 */
class SharedSigningKeysTest {
    @Test
    @DisplayName("two controllers on one vault: one rotates, the other verifies the new key and uses it, no second rotation")
    void rotationIsSeenByTheOtherController() throws Exception {
        MemoryOAuthStore vault = new MemoryOAuthStore();
        MutableClock clock = new MutableClock(Instant.parse("2026-12-07T00:00:00Z"));
        SigningKeys a = SigningKeys.open(vault, Duration.ofHours(1), Duration.ofMinutes(10), clock);
        SigningKeys b = SigningKeys.open(vault, Duration.ofHours(1), Duration.ofMinutes(10), clock);
        assertThat(b.current().kid()).as("b took a's first key instead of making its own").isEqualTo(a.current().kid());

        clock.now = clock.now.plus(Duration.ofMinutes(61));
        String rotated = a.current().kid();
        Thread.sleep(1100); // b's look at the vault on an unknown kid is at most once a second
        assertThat(b.verifier(rotated)).as("b verifies tokens of a's new key").isPresent();
        assertThat(b.current().kid()).as("b signs with the key a rotated to").isEqualTo(rotated);
        assertThat(vault.load()).as("one fresh key and the retired one, not two fresh").hasSize(2);
    }

    @Test
    @DisplayName("rotation as a singleton duty: past its time neither controller rotates by itself; the one asked"
            + " rotates once, the other finds it done and signs with the new key")
    void rotationOnlyWhenAsked() {
        MemoryOAuthStore vault = new MemoryOAuthStore();
        MutableClock clock = new MutableClock(Instant.parse("2026-12-07T00:00:00Z"));
        SigningKeys a = SigningKeys.open(vault, Duration.ofHours(1), Duration.ofMinutes(10), clock);
        SigningKeys b = SigningKeys.open(vault, Duration.ofHours(1), Duration.ofMinutes(10), clock);
        a.rotateOnlyWhenAsked();
        b.rotateOnlyWhenAsked();
        String first = a.current().kid();

        clock.now = clock.now.plus(Duration.ofMinutes(61));
        assertThat(a.current().kid()).as("a keeps signing with the old key until the duty rotates").isEqualTo(first);
        assertThat(b.current().kid()).isEqualTo(first);
        assertThat(vault.load()).hasSize(1);

        assertThat(a.rotateIfDue()).as("the duty's holder rotates").isTrue();
        assertThat(b.rotateIfDue()).as("another run finds it done").isFalse();
        String rotated = a.current().kid();
        assertThat(rotated).isNotEqualTo(first);
        assertThat(b.current().kid()).isEqualTo(rotated);
        assertThat(vault.load()).as("the new key and the retired one").hasSize(2);
    }

    private static final class MutableClock extends Clock {
        volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
