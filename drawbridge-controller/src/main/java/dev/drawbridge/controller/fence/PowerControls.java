package dev.drawbridge.controller.fence;

import dev.drawbridge.controller.config.FencingConfig;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.power.BmcTarget;
import dev.drawbridge.controller.power.BmcTargets;
import dev.drawbridge.controller.power.OffResult;
import dev.drawbridge.controller.power.PowerDriver;
import dev.drawbridge.controller.power.PowerDrivers;
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
     * {@code bmc_address} (host or host:port; 623 by default, 443 for Redfish) with the configured credentials
     * ({@link BmcTargets}); the fence is confirmed only when the BMC reads back off.
     */
    public static PowerControl driver(PowerDriver driver,
                                      FencingConfig cfg) {
        return node -> {
            BmcTarget target;
            try {
                target = BmcTargets.of(node, cfg, PowerDrivers.defaultPort(driver.name()));
            } catch (IllegalStateException | IllegalArgumentException e) {
                return FenceStep.Result.failed(e.getMessage() + ": " + node.name() + " was not powered off");
            }
            String address = node.bmcAddress().orElseThrow();
            var result = PowerDrivers.offAndConfirm(driver, target, cfg.powerOffTimeout());
            return switch (result) {
                case OffResult.Confirmed c -> FenceStep.Result.done(driver.name()
                        + " at " + address + " reads back power off (" + c.took().toMillis() + " ms)");
                case OffResult.NotConfirmed n -> FenceStep.Result.failed(driver.name()
                        + " at " + address + ": " + n.reason() + "; fencing not confirmed");
            };
        };
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
