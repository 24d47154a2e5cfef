package dev.drawbridge.controller.power;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class FakePowerDriverTest {
    private final BmcTarget target = new BmcTarget("10.0.0.7", 623, "admin", Secret.of("hunter2"));
    private final FakePowerDriver fake = new FakePowerDriver();

    @Test
    void off_and_confirm_is_confirmed_when_the_driver_reads_back_off() {
        OffResult result = PowerDrivers.offAndConfirm(fake, target, Duration.ofSeconds(1));

        assertThat(result).isInstanceOf(OffResult.Confirmed.class);
        assertThat(fake.state(target)).isEqualTo(PowerState.OFF);
    }

    @Test
    void off_and_confirm_is_not_confirmed_when_the_bmc_lies() {
        fake.mode(FakePowerDriver.Mode.LYING);

        OffResult result = PowerDrivers.offAndConfirm(fake, target, Duration.ofMillis(500));

        assertThat(result).isInstanceOfSatisfying(OffResult.NotConfirmed.class,
                notConfirmed -> assertThat(notConfirmed.reason()).contains("still ON"));
    }

    @Test
    void off_and_confirm_is_not_confirmed_when_the_bmc_fails() {
        fake.mode(FakePowerDriver.Mode.FAILING);

        OffResult result = PowerDrivers.offAndConfirm(fake, target, Duration.ofMillis(500));

        assertThat(result).isInstanceOfSatisfying(OffResult.NotConfirmed.class,
                notConfirmed -> assertThat(notConfirmed.reason()).contains("power off failed"));
    }

    @Test
    void every_registered_name_makes_a_driver_of_that_name() {
        for (String name : PowerDrivers.names()) {
            assertThat(PowerDrivers.byName(name)).hasValueSatisfying(driver -> assertThat(driver.name()).isEqualTo(name));
        }
        assertThat(PowerDrivers.byName("ilo-magic")).isEmpty();
    }

    @Test
    void a_target_prints_without_its_password() {
        assertThat(target.toString()).doesNotContain("hunter2").contains("***");
        assertThat(target.password().redact("login hunter2 refused")).isEqualTo("login *** refused");
    }
}
