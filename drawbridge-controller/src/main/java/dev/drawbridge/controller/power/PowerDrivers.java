package dev.drawbridge.controller.power;

import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/** The registry of power drivers by name, and the off-then-read-back step that fencing relies on. */
public final class PowerDrivers {
    /** Long enough for fence_ipmilan's Python start-up plus a slow BMC; a dead BMC fails sooner (-N 1 -R 1). */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    static final Duration POLL_INTERVAL = Duration.ofMillis(200);

    private PowerDrivers() {}

    /** The registered names: ipmitool, fence-agent, redfish and fake. */
    public static Set<String> names() {
        return Set.of("ipmitool", "fence-agent", "redfish", "fake");
    }

    /** A driver with default settings; redfish trusts the JDK's default trust store. */
    public static Optional<PowerDriver> byName(String name) {
        return byName(name, defaultTrust());
    }

    /** A driver with default settings; redfish trusts what {@code redfishTrust} trusts. */
    public static Optional<PowerDriver> byName(String name, SSLContext redfishTrust) {
        return switch (name) {
            case "ipmitool" -> Optional.of(ipmitool(DEFAULT_TIMEOUT));
            case "fence-agent" -> Optional.of(fenceAgent(DEFAULT_TIMEOUT));
            case "redfish" -> Optional.of(redfish(redfishTrust, DEFAULT_TIMEOUT));
            case "fake" -> Optional.of(new FakePowerDriver());
            default -> Optional.empty();
        };
    }

    /** The BMC port a driver uses when a node's bmc_address names none: 443 for Redfish (HTTPS), else 623 (IPMI). */
    public static int defaultPort(String driverName) {
        return driverName.equals("redfish") ? 443 : 623;
    }

    /** Virtual media over Redfish (the only protocol here that has it), trusting what {@code trust} trusts. */
    public static VirtualMedia redfishMedia(SSLContext trust, Duration timeout) {
        return new RedfishDriver(trust, timeout);
    }

    public static PowerDriver ipmitool(Duration timeout) {
        return new IpmitoolDriver("ipmitool", timeout);
    }

    public static PowerDriver fenceAgent(Duration timeout) {
        return new FenceAgentDriver(timeout);
    }

    /** A Redfish driver trusting what {@code trust} trusts, e.g. the BMC vendor's CA or a test CA. */
    public static PowerDriver redfish(SSLContext trust, Duration timeout) {
        return new RedfishDriver(trust, timeout);
    }

    /**
     * Powers off and polls the status until it reads OFF or {@code timeout} passes. Only a read-back OFF is
     * Confirmed: a BMC that accepts the command can still leave the machine running.
     */
    public static OffResult offAndConfirm(PowerDriver driver, BmcTarget target, Duration timeout) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        try {
            driver.off(target);
        } catch (PowerException e) {
            return new OffResult.NotConfirmed("power off failed: " + e.getMessage());
        }
        String lastSeen = "no status read";
        while (true) {
            try {
                PowerState state = driver.status(target);
                if (state == PowerState.OFF) {
                    return new OffResult.Confirmed(Duration.ofNanos(System.nanoTime() - start));
                }
                lastSeen = "status still " + state;
            } catch (PowerException e) {
                lastSeen = "status failed: " + e.getMessage();
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return new OffResult.NotConfirmed(lastSeen + " after " + timeout.toMillis() + " ms");
            }
            try {
                TimeUnit.NANOSECONDS.sleep(Math.min(left, POLL_INTERVAL.toNanos()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new OffResult.NotConfirmed("interrupted; " + lastSeen);
            }
        }
    }

    static SSLContext defaultTrust() {
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new PowerException("no default TLS context", e);
        }
    }
}
