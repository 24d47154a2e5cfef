package dev.drawbridge.controller.power;

/** Chassis power as a BMC reports it; UNKNOWN when it answers with anything else (e.g. Redfish "PoweringOff"). */
public enum PowerState {
    ON,
    OFF,
    UNKNOWN
}
