package dev.drawbridge.controller.fence;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Power controls that need no BMC: {@code none} (fences stay unconfirmed) and {@code fake} (for demos and tests). */
public final class PowerControls {
    private PowerControls() {}

    public static PowerControl none() {
        return node -> FenceStep.Result.failed("no power driver configured (fencing.power-driver): "
                + node.name() + " was not powered off, so this fence is not confirmed");
    }

    /** A BMC simulation that remembers which nodes it powered off and reads that back. */
    public static Fake fake() {
        return new Fake();
    }

    /** See {@link #fake()}. */
    public static final class Fake implements PowerControl {
        private final Set<String> off = ConcurrentHashMap.newKeySet();

        @Override
        public FenceStep.Result offAndConfirm(dev.drawbridge.controller.inventory.Node node) {
            off.add(node.id());
            return off.contains(node.id()) ? FenceStep.Result.done("fake BMC " + node.bmcAddress().orElse("-")
                    + " reads back power off") : FenceStep.Result.failed("fake BMC still reads on");
        }

        public boolean isOff(String nodeId) {
            return off.contains(nodeId);
        }
    }
}
