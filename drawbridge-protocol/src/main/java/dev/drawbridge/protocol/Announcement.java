package dev.drawbridge.protocol;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a Drawbridge device says about itself in the TXT record of its {@code _drawbridge._tcp} DNS-SD service
 * (docs/protocol.md, "Discovery"). Keys are case-insensitive (RFC 6763 §6.4); unknown keys are ignored, so a later
 * version may add some.
 *
 * @param role        {@code controller}, {@code chassis-bmc}, {@code node-bmc} or {@code agent}
 * @param id          who it is: a controller's {@code ctl-} id, an agent's node id
 * @param version     {@code v}: the API version it speaks (1)
 * @param fingerprint {@code fp}: the SHA-256 of its TLS public key (SubjectPublicKeyInfo), 64 lowercase hex digits
 *                    (for a controller, whose TLS key is made anew at each start, its CA root's public key)
 */
public record Announcement(Role role, String id, int version, String fingerprint) {
    /** The DNS-SD service type. */
    public static final String SERVICE_TYPE = "_drawbridge._tcp.local.";
    /** The version this code writes. */
    public static final int VERSION = 1;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final Pattern FP = Pattern.compile("[0-9a-f]{64}");

    /** The roles a device announces. */
    public enum Role {
        CONTROLLER, CHASSIS_BMC, NODE_BMC, AGENT;

        public String wire() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Optional<Role> parse(String wire) {
            for (Role r : values()) {
                if (r.wire().equals(wire)) {
                    return Optional.of(r);
                }
            }
            return Optional.empty();
        }
    }

    /** A TXT record that is not a Drawbridge announcement, and why. */
    public static final class Invalid extends Exception {
        public Invalid(String message) {
            super(message);
        }
    }

    public Announcement {
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("an id is 1 to 128 letters, digits or ._:- characters");
        }
        if (!FP.matcher(fingerprint).matches()) {
            throw new IllegalArgumentException("a fingerprint is 64 lowercase hex digits");
        }
        if (version < 1) {
            throw new IllegalArgumentException("a version is a positive number");
        }
    }

    /** The TXT record's key/value pairs. */
    public Map<String, String> txt() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("role", role.wire());
        m.put("id", id);
        m.put("v", Integer.toString(version));
        m.put("fp", fingerprint);
        return m;
    }

    /** Reads a TXT record: every one of {@code role}, {@code id}, {@code v}, {@code fp} must be there and valid. */
    public static Announcement parse(Map<String, String> txt) throws Invalid {
        Map<String, String> lower = new LinkedHashMap<>();
        txt.forEach((k, v) -> lower.putIfAbsent(k.toLowerCase(Locale.ROOT), v));
        String role = required(lower, "role");
        Role r = Role.parse(role).orElseThrow(() -> new Invalid("role '" + abbreviate(role)
                + "' is not controller, chassis-bmc, node-bmc or agent"));
        String id = required(lower, "id");
        if (!ID.matcher(id).matches()) {
            throw new Invalid("id '" + abbreviate(id) + "' is not 1 to 128 letters, digits or ._:- characters");
        }
        String v = required(lower, "v");
        int version;
        try {
            version = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new Invalid("v '" + abbreviate(v) + "' is not a number");
        }
        if (version < 1) {
            throw new Invalid("v " + version + " is not a version");
        }
        String fp = required(lower, "fp").toLowerCase(Locale.ROOT);
        if (!FP.matcher(fp).matches()) {
            throw new Invalid("fp is not a SHA-256 in hex (64 digits)");
        }
        return new Announcement(r, id, version, fp);
    }

    private static String required(Map<String, String> txt, String key) throws Invalid {
        String v = txt.get(key);
        if (v == null || v.isEmpty()) {
            throw new Invalid("no '" + key + "' in the TXT record");
        }
        return v;
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
