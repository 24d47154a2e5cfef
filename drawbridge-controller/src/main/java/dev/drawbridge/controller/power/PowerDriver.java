package dev.drawbridge.controller.power;

/**
 * One way of switching a machine's power through its BMC. Drivers are registered by name in
 * {@link PowerDrivers}; every call is bounded in time and throws {@link PowerException} on failure.
 * A driver's {@code off} is a hard power off: fencing must not wait for a guest to shut down.
 */
public interface PowerDriver {
    /** The name this driver is registered under, e.g. {@code ipmitool}. */
    String name();

    PowerState status(BmcTarget target);

    void off(BmcTarget target);

    void on(BmcTarget target);
}
