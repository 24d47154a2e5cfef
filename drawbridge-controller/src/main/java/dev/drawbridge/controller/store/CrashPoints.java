package dev.drawbridge.controller.store;

/**
 * Named points where the crash tests stop the controller dead, as {@code kill -9} would but at an exact moment: when
 * the environment variable {@code DRAWBRIDGE_TEST_HALT_AT} names a point, reaching it halts the JVM at once with
 * status 137, running no shutdown hook and flushing nothing. Unset (always, outside those tests), it does nothing.
 */
public final class CrashPoints {
    private static final String HALT_AT = System.getenv().getOrDefault("DRAWBRIDGE_TEST_HALT_AT", "");

    private CrashPoints() {}

    /** Halts here when the crash tests asked for this point. */
    public static void reached(String point) {
        if (!HALT_AT.isEmpty() && HALT_AT.equals(point)) {
            System.err.println("DRAWBRIDGE_TEST_HALT_AT: halting at " + point);
            Runtime.getRuntime().halt(137);
        }
    }
}
