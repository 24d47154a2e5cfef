package dev.drawbridge.controller.fence;

import dev.drawbridge.controller.inventory.Node;
import java.util.Locale;

/**
 * One step of a fence, run in order and recorded with its status. Every step must be idempotent: a
 * controller that crashed mid-fence runs the unfinished steps again on restart.
 */
public interface FenceStep {
    /** The stored name, e.g. {@code revoke-certificates}. */
    String name();

    /** Does the step for {@code node}; a step that cannot apply says so with {@code skipped}. */
    Result run(String fenceId, Node node, String reason);

    /**
     * Whether the step only changes the store, through {@code Database.inTransaction}, quickly and with no lock of
     * its own held around it. Such a step runs inside the transaction that records its status, so its change and
     * its status commit together (one write transaction instead of two); a step that talks to anything else (a
     * BMC, the CA, a webhook) must not, or it would hold the store's writers up while it waits.
     */
    default boolean storeOnly() {
        return false;
    }

    /**
     * Whether the step runs on a thread of its own beside the steps after it (power-off: a BMC can take seconds,
     * and the evacuation and the notice must not wait for it). Its status is stored when it ends.
     */
    default boolean runsBeside() {
        return false;
    }

    /** The six steps every fence runs, in order, with their stored names. */
    enum Standard {
        DISABLE_PLACEMENT, REVOKE_CERTIFICATES, REVOKE_OAUTH, POWER_OFF, EVACUATE, NOTIFY;

        /** The stored name, e.g. {@code revoke-certificates}. */
        public String wire() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** How a step ended. */
    record Result(Status status, String detail) {
        public static Result done(String detail) {
            return new Result(Status.DONE, detail);
        }

        public static Result skipped(String detail) {
            return new Result(Status.SKIPPED, detail);
        }

        public static Result failed(String detail) {
            return new Result(Status.FAILED, detail);
        }
    }

    /** Stored step status. */
    enum Status {
        PENDING, DONE, SKIPPED, FAILED;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
