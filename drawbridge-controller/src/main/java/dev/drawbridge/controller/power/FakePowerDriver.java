package dev.drawbridge.controller.power;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An in-memory power driver for tests of the code above power. Machines start ON. In {@link Mode#FAILING}
 * every call throws; in {@link Mode#LYING} off and on report success but change nothing, which is what a
 * broken BMC does and what off-and-confirm exists to catch.
 */
public final class FakePowerDriver implements PowerDriver {
    public enum Mode { HONEST, FAILING, LYING }

    private final Map<String, PowerState> states = new ConcurrentHashMap<>();
    private final AtomicReference<Mode> mode = new AtomicReference<>(Mode.HONEST);

    @Override
    public String name() {
        return "fake";
    }

    public void mode(Mode newMode) {
        mode.set(newMode);
    }

    /** The state the fake believes the machine is in, whatever the mode. */
    public PowerState state(BmcTarget target) {
        return states.getOrDefault(key(target), PowerState.ON);
    }

    public void state(BmcTarget target, PowerState state) {
        states.put(key(target), state);
    }

    @Override
    public PowerState status(BmcTarget target) {
        failIfFailing(target);
        return state(target);
    }

    @Override
    public void off(BmcTarget target) {
        set(target, PowerState.OFF);
    }

    @Override
    public void on(BmcTarget target) {
        set(target, PowerState.ON);
    }

    private void set(BmcTarget target, PowerState state) {
        failIfFailing(target);
        if (mode.get() == Mode.HONEST) {
            states.put(key(target), state);
        }
    }

    private void failIfFailing(BmcTarget target) {
        if (mode.get() == Mode.FAILING) {
            throw new PowerException("fake BMC " + key(target) + " is failing");
        }
    }

    private static String key(BmcTarget target) {
        return target.host() + ":" + target.port();
    }

    @Override
    public String toString() {
        return name();
    }
}
