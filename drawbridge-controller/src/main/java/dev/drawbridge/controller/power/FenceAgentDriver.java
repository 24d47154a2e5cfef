package dev.drawbridge.controller.power;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Drives a BMC through a ClusterLabs fence agent ({@code fence_ipmilan} by default; any {@code fence_*}
 * through the {@code agent} option). Arguments go as key=value lines on stdin, which keeps the password off
 * our argv. For {@code status} the agent exits 0 for ON, 2 for OFF and 1 for an error.
 */
final class FenceAgentDriver implements PowerDriver {
    private final Duration timeout;

    FenceAgentDriver(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "fence-agent";
    }

    @Override
    public PowerState status(BmcTarget target) {
        BmcProcess.Result result = run(target, "status");
        return switch (result.exitCode()) {
            case 0 -> PowerState.ON;
            case 2 -> PowerState.OFF;
            default -> throw failure(target, "status", result);
        };
    }

    @Override
    public void off(BmcTarget target) {
        check(target, "off");
    }

    @Override
    public void on(BmcTarget target) {
        check(target, "on");
    }

    private void check(BmcTarget target, String action) {
        BmcProcess.Result result = run(target, action);
        if (result.exitCode() != 0) {
            throw failure(target, action, result);
        }
    }

    private BmcProcess.Result run(BmcTarget target, String action) {
        String agent = target.option("agent").orElse("fence_ipmilan");
        if (!Path.of(agent).getFileName().toString().startsWith("fence_")) {
            throw new PowerException("not a fence agent: " + agent);
        }
        // power_wait=0: the agent otherwise sleeps 2 s after every command; we confirm OFF ourselves.
        String stdin = String.join("\n",
                "action=" + action,
                "ip=" + target.host(),
                "ipport=" + target.port(),
                "username=" + target.username(),
                "password=" + target.password().reveal(),
                "lanplus=" + target.option("lanplus").orElse("1"),
                "cipher=" + target.option("cipher-suite").orElse(IpmitoolDriver.DEFAULT_CIPHER_SUITE),
                "power_wait=0") + "\n";
        return BmcProcess.run(List.of(agent), Map.of(), stdin, timeout);
    }

    private static PowerException failure(BmcTarget target, String action, BmcProcess.Result result) {
        // Python agents print a DeprecationWarning on every run; it says nothing about the BMC.
        String reason = result.stderr().lines()
                .filter(line -> !line.isBlank())
                .filter(line -> !line.contains("DeprecationWarning") && !line.startsWith("  from "))
                .collect(Collectors.joining("; "));
        if (reason.isEmpty()) {
            reason = result.stdout().strip();
        }
        return new PowerException("fence agent " + action + " on " + target.host() + ":" + target.port()
                + " exited " + result.exitCode() + ": " + target.password().redact(reason));
    }

    @Override
    public String toString() {
        return name();
    }
}
