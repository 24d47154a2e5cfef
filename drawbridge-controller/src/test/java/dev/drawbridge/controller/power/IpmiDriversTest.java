package dev.drawbridge.controller.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drawbridge.testkit.IpmiSim;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The two IPMI drivers against a real ipmi_sim BMC: ipmitool directly, and fence_ipmilan. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class IpmiDriversTest {
    private IpmiSim sim;

    static Stream<PowerDriver> drivers() {
        requireOnPath("ipmitool", "ipmitool");
        requireOnPath("fence_ipmilan", "fence-agents");
        return Stream.of(PowerDrivers.ipmitool(Duration.ofSeconds(20)), PowerDrivers.fenceAgent(Duration.ofSeconds(20)));
    }

    @BeforeEach
    void start() {
        sim = IpmiSim.start();
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    @ParameterizedTest(name = "{0} reads ON, powers off, reads OFF and powers on again")
    @MethodSource("drivers")
    void the_driver_reads_on_powers_off_reads_off_and_powers_on_again(PowerDriver driver) {
        BmcTarget target = target(sim.password());

        assertThat(driver.status(target)).isEqualTo(PowerState.ON);
        driver.off(target);
        assertThat(sim.powerState()).isEqualTo(IpmiSim.Power.OFF);
        assertThat(driver.status(target)).isEqualTo(PowerState.OFF);
        driver.on(target);
        assertThat(sim.powerState()).isEqualTo(IpmiSim.Power.ON);
        assertThat(driver.status(target)).isEqualTo(PowerState.ON);
    }

    @ParameterizedTest(name = "off and confirm with {0} is confirmed by a real BMC")
    @MethodSource("drivers")
    void off_and_confirm_is_confirmed_when_the_bmc_reads_back_off(PowerDriver driver) {
        OffResult result = PowerDrivers.offAndConfirm(driver, target(sim.password()), Duration.ofSeconds(20));

        assertThat(result).isInstanceOf(OffResult.Confirmed.class);
        assertThat(sim.powerState()).isEqualTo(IpmiSim.Power.OFF);
    }

    @ParameterizedTest(name = "{0} with a wrong password fails without printing it")
    @MethodSource("drivers")
    void a_wrong_password_fails_and_the_message_does_not_contain_it(PowerDriver driver) {
        String wrong = "wrong-" + sim.password();

        assertThatThrownBy(() -> driver.status(target(wrong)))
                .isInstanceOf(PowerException.class)
                .message().doesNotContain(wrong).doesNotContain(sim.password());
        assertThat(sim.powerState()).isEqualTo(IpmiSim.Power.ON);
    }

    @ParameterizedTest(name = "{0} against a dead BMC fails within seconds")
    @MethodSource("drivers")
    void a_dead_bmc_fails_within_a_few_seconds(PowerDriver driver) throws Exception {
        int closedPort;
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            closedPort = socket.getLocalPort();
        }
        BmcTarget dead = new BmcTarget("127.0.0.1", closedPort, IpmiSim.USER, Secret.of("irrelevant"),
                Map.of("cipher-suite", "3"));
        long start = System.nanoTime();

        assertThatThrownBy(() -> driver.status(dead)).isInstanceOf(PowerException.class);
        // ipmitool gives up after about 2 s with -N 1 -R 1; fence_ipmilan retries on its own, so it gets 20 s.
        Duration limit = driver.name().equals("ipmitool") ? Duration.ofSeconds(6) : Duration.ofSeconds(25);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(limit);
    }

    private BmcTarget target(String password) {
        return new BmcTarget(sim.host(), sim.port(), sim.user(), Secret.of(password),
                Map.of("cipher-suite", Integer.toString(sim.cipherSuite())));
    }

    private static void requireOnPath(String command, String debianPackage) {
        boolean found = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
        if (!found) {
            throw new AssertionError(command + " is not installed: install the Debian package '" + debianPackage
                    + "' (apt-get install " + debianPackage + ")");
        }
    }
}
