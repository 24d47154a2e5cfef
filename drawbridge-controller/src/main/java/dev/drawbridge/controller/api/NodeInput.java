package dev.drawbridge.controller.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.inventory.NewNode;
import dev.drawbridge.controller.inventory.NodePatch;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses node bodies into typed values. A node's name becomes its certificate CN and DNS SAN, so it must
 * be a lower-case host name; MACs are normalised to {@code aa:bb:cc:dd:ee:ff}.
 */
final class NodeInput {
    private static final Set<String> CREATE = Set.of("name", "macs", "labels", "bmc_address", "agent_address",
            "system_uuid", "mode", "bmc_username", "bmc_password_ref");
    private static final Set<String> PATCH = Set.of("macs", "labels", "bmc_address", "agent_address", "system_uuid",
            "bmc_username", "bmc_password_ref");
    /** A BMC user name: printable, no spaces or quotes, as IPMI (16 bytes) and Redfish accept. */
    private static final Pattern BMC_USER = Pattern.compile("[A-Za-z0-9._@-]{1,64}");
    /** Where a BMC password is read from on the controller: a file, or an environment variable. */
    private static final Pattern PASSWORD_REF = Pattern.compile("file:/[^\\u0000\\n\\r]{1,4095}|env:[A-Z_][A-Z0-9_]{0,127}");
    private static final Pattern UUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
    private static final Pattern MAC = Pattern.compile("[0-9a-f]{2}([:-][0-9a-f]{2}){5}");
    private static final Pattern LABEL_KEY = Pattern.compile("[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?");
    private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9.:\\[\\]%_-]{1,255}");

    private NodeInput() {}

    static NewNode create(JsonNode body) {
        Fields f = Fields.of(body, CREATE);
        String name = f.string("name");
        if (name.length() > 253 || !NAME.matcher(name).matches()) {
            throw ApiException.badRequest("field 'name' must be a lower-case host name (letters, digits, '-' and '.'), not '"
                    + abbreviate(name) + "'");
        }
        return new NewNode(name, macs(f.stringList("macs").orElse(List.of())), labels(f.stringMap("labels")
                .orElse(Map.of())), address(f, "bmc_address"), address(f, "agent_address"), uuid(f), mode(f),
                bmcUser(f), passwordRef(f));
    }

    static NodePatch patch(JsonNode body) {
        Fields f = Fields.of(body, PATCH);
        return new NodePatch(f.stringList("macs").map(NodeInput::macs), f.stringMap("labels").map(NodeInput::labels),
                address(f, "bmc_address"), address(f, "agent_address"), uuid(f), bmcUser(f), passwordRef(f));
    }

    private static Optional<String> bmcUser(Fields f) {
        Optional<String> v = f.optionalString("bmc_username");
        v.filter(u -> !BMC_USER.matcher(u).matches()).ifPresent(u -> {
            throw ApiException.badRequest("field 'bmc_username' must be 1 to 64 letters, digits, '.', '_', '@' or '-'");
        });
        return v;
    }

    /**
     * A reference to the node's BMC password, never the password itself: {@code file:/absolute/path} (read when
     * fencing, like {@code fencing.bmc-password-file}) or {@code env:NAME} (the controller's environment).
     */
    private static Optional<String> passwordRef(Fields f) {
        Optional<String> v = f.optionalString("bmc_password_ref");
        v.filter(r -> !PASSWORD_REF.matcher(r).matches() || r.contains("/../") || r.endsWith("/..")).ifPresent(r -> {
            throw ApiException.badRequest("field 'bmc_password_ref' must be file:/absolute/path or env:NAME (the password"
                    + " itself is never sent to the API)");
        });
        return v;
    }

    static List<String> macs(List<String> raw) {
        Set<String> out = new LinkedHashSet<>();
        for (String m : raw) {
            String lower = m.trim().toLowerCase(Locale.ROOT);
            if (!MAC.matcher(lower).matches()) {
                throw ApiException.badRequest("'" + abbreviate(m) + "' in 'macs' is not a MAC address like aa:bb:cc:dd:ee:ff");
            }
            out.add(lower.replace('-', ':'));
        }
        if (out.size() > 64) {
            throw ApiException.badRequest("field 'macs' holds at most 64 addresses");
        }
        return new ArrayList<>(out);
    }

    static Map<String, String> labels(Map<String, String> raw) {
        if (raw.size() > 64) {
            throw ApiException.badRequest("field 'labels' holds at most 64 entries");
        }
        raw.forEach((k, v) -> {
            if (!LABEL_KEY.matcher(k).matches()) {
                throw ApiException.badRequest("label key '" + abbreviate(k) + "' must be lower-case letters, digits, '.', '_', '/' or '-'");
            }
            if (v.length() > 256) {
                throw ApiException.badRequest("label '" + k + "' is longer than 256 characters");
            }
        });
        return raw;
    }

    private static Optional<String> uuid(Fields f) {
        Optional<String> v = f.optionalString("system_uuid");
        v.ifPresent(u -> {
            if (!UUID.matcher(u).matches()) {
                throw ApiException.badRequest("field 'system_uuid' must be a UUID like 4c4c4544-0042-3510-8051-b4c04f4b4e31");
            }
        });
        return v.map(u -> u.toLowerCase(Locale.ROOT));
    }

    private static String mode(Fields f) {
        String m = f.optionalString("mode").orElse("poll");
        if (!m.equals("poll") && !m.equals("callback")) {
            throw ApiException.badRequest("field 'mode' must be poll or callback");
        }
        return m;
    }

    private static Optional<String> address(Fields f, String name) {
        Optional<String> v = f.optionalString(name);
        v.ifPresent(a -> {
            if (!ADDRESS.matcher(a).matches()) {
                throw ApiException.badRequest("field '" + name + "' must be host or host:port, not '" + abbreviate(a) + "'");
            }
        });
        return v;
    }

    static String abbreviate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "…" : s;
    }
}
