package dev.drawbridge.controller.power;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Where and how to reach one machine's BMC. Options are driver-specific, with dash-case keys:
 * {@code cipher-suite} (ipmitool and fence-agent, default 17), {@code agent} (fence-agent, default
 * {@code fence_ipmilan}), {@code scheme} and {@code system-id} (redfish). Host, user and password may not
 * contain line breaks because the fence-agent driver passes them as stdin lines.
 */
public record BmcTarget(String host, int port, String username, Secret password, Map<String, String> options) {
    public BmcTarget {
        Objects.requireNonNull(password, "password");
        requireSingleLine("host", host);
        requireSingleLine("username", username);
        if (host.isBlank()) {
            throw new IllegalArgumentException("host is blank");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (password.reveal().indexOf('\n') >= 0 || password.reveal().indexOf('\r') >= 0) {
            throw new IllegalArgumentException("password contains a line break");
        }
        options.forEach((key, value) -> requireSingleLine("option " + key, value));
        options = Map.copyOf(options);
    }

    public BmcTarget(String host, int port, String username, Secret password) {
        this(host, port, username, password, Map.of());
    }

    public Optional<String> option(String key) {
        return Optional.ofNullable(options.get(key));
    }

    /** A copy with one option added or replaced. */
    public BmcTarget withOption(String key, String value) {
        Map<String, String> copy = new TreeMap<>(options);
        copy.put(key, value);
        return new BmcTarget(host, port, username, password, copy);
    }

    private static void requireSingleLine(String what, String value) {
        Objects.requireNonNull(value, what);
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
            throw new IllegalArgumentException(what + " contains a line break");
        }
    }
}
