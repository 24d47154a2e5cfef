package dev.drawbridge.controller.fence;

import dev.drawbridge.controller.config.FencingConfig;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.power.BmcTarget;
import dev.drawbridge.controller.power.OffResult;
import dev.drawbridge.controller.power.PowerDriver;
import dev.drawbridge.controller.power.PowerDrivers;
import dev.drawbridge.controller.power.Secret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Power controls that need no BMC: {@code none} (fences stay unconfirmed) and {@code fake} (for demos and tests). */
public final class PowerControls {
    private PowerControls() {}

    public static PowerControl none() {
        return node -> FenceStep.Result.skipped("skipped: no power driver configured (fencing.power-driver): "
                + node.name() + " was not powered off");
    }

    /**
     * Powers off through a real {@link dev.drawbridge.controller.power.PowerDriver} at the node's
     * {@code bmc_address} (host or host:port, port 623 by default) with the configured credentials; the fence
     * is confirmed only when the BMC reads back off.
     */
    public static PowerControl driver(PowerDriver driver,
                                      FencingConfig cfg) {
        return node -> {
            if (node.bmcAddress().isEmpty()) {
                return FenceStep.Result.failed(node.name() + " has no bmc_address: it was not powered off");
            }
            String address = node.bmcAddress().get();
            int colon = address.lastIndexOf(':');
            boolean hasPort = colon > 0 && address.indexOf(':') == colon || address.startsWith("[") && address.contains("]:");
            String host = hasPort ? address.substring(0, colon).replace("[", "").replace("]", "") : address;
            int port = hasPort ? Integer.parseInt(address.substring(colon + 1)) : 623;
            String password;
            try {
                password = password(node, cfg);
            } catch (IllegalStateException e) {
                return FenceStep.Result.failed(e.getMessage() + ": " + node.name() + " was not powered off");
            }
            var target = new BmcTarget(host, port,
                    node.bmcUsername().orElse(cfg.bmcUsername()), Secret.of(password))
                    .withOption("cipher-suite", cfg.ipmiCipher()).withOption("agent", cfg.fenceAgent());
            var result = PowerDrivers.offAndConfirm(driver, target, cfg.powerOffTimeout());
            return switch (result) {
                case OffResult.Confirmed c -> FenceStep.Result.done(driver.name()
                        + " at " + address + " reads back power off (" + c.took().toMillis() + " ms)");
                case OffResult.NotConfirmed n -> FenceStep.Result.failed(driver.name()
                        + " at " + address + ": " + n.reason() + "; fencing not confirmed");
            };
        };
    }

    /**
     * The node's own BMC password when it has a reference ({@code file:/path} or {@code env:NAME}), else the fleet's
     * {@code fencing.bmc-password-file}. The reference is stored; the password is read only here, when fencing.
     */
    static String password(Node node,
                           FencingConfig cfg) {
        if (node.bmcPasswordRef().isPresent()) {
            String ref = node.bmcPasswordRef().get();
            if (ref.startsWith("env:")) {
                return Optional.ofNullable(System.getenv(ref.substring(4))).orElseThrow(() ->
                        new IllegalStateException("the BMC password variable " + ref.substring(4) + " is not set"));
            }
            try {
                return Files.readString(Path.of(ref.substring(5))).strip();
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the BMC password file " + ref.substring(5) + ": "
                        + e.getClass().getSimpleName());
            }
        }
        if (cfg.bmcPasswordFile().isBlank()) {
            return "";
        }
        try {
            return Files.readString(Path.of(cfg.bmcPasswordFile())).strip();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read fencing.bmc-password-file: " + e.getMessage());
        }
    }

    /** A BMC simulation that remembers which nodes it powered off and reads that back. */
    public static Fake fake() {
        return new Fake();
    }

    /** See {@link #fake()}. */
    public static final class Fake implements PowerControl {
        private final Set<String> off = ConcurrentHashMap.newKeySet();

        @Override
        public FenceStep.Result offAndConfirm(Node node) {
            off.add(node.id());
            return off.contains(node.id()) ? FenceStep.Result.done("fake BMC " + node.bmcAddress().orElse("-")
                    + " reads back power off") : FenceStep.Result.failed("fake BMC still reads on");
        }

        public boolean isOff(String nodeId) {
            return off.contains(nodeId);
        }
    }
}
