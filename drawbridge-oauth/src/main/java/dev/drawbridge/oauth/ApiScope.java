package dev.drawbridge.oauth;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The scopes an access token can carry, one per kind of duty on the controller's {@code /v1} API. Every route
 * declares the one it needs; {@link #ADMIN} satisfies any of them (the admin break-glass token holds it).
 */
public enum ApiScope {
    /** Read inventory, certificates, attestations, fences and instances. */
    NODES_READ("nodes:read"),
    /** Create, change and act on nodes and instances. */
    NODES_WRITE("nodes:write"),
    /** Have certificates signed and revoked, and tickets made. */
    CA_SIGN("ca:sign"),
    /** Fence and readmit nodes, accept baselines and set golden values. */
    FENCE("fence"),
    /** Read the audit trail and the event stream. */
    AUDIT_READ("audit:read"),
    /** Call the peer API of another controller or management controller. */
    PEER("peer"),
    /** Everything, including OAuth client management. */
    ADMIN("admin");

    private final String wire;

    ApiScope(String wire) {
        this.wire = wire;
    }

    /** The scope's name on the wire, e.g. {@code nodes:read}. */
    public String wire() {
        return wire;
    }

    /** Whether a token holding {@code held} may use a route that needs this scope. */
    public boolean grantedBy(Set<ApiScope> held) {
        return held.contains(this) || held.contains(ADMIN);
    }

    public static Optional<ApiScope> parse(String wire) {
        for (ApiScope s : values()) {
            if (s.wire.equals(wire)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /**
     * A space-separated scope list (RFC 6749 §3.3); an unknown scope is an IllegalArgumentException naming it and the
     * known ones.
     */
    public static Set<ApiScope> parseList(String spaceSeparated) {
        Set<ApiScope> out = EnumSet.noneOf(ApiScope.class);
        List<String> unknown = new ArrayList<>();
        for (String part : spaceSeparated.trim().split(" +")) {
            if (part.isEmpty()) {
                continue;
            }
            parse(part).ifPresentOrElse(out::add, () -> unknown.add(part));
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown scope " + String.join(", ", unknown) + "; known: "
                    + join(EnumSet.allOf(ApiScope.class)));
        }
        return out;
    }

    /** The scopes as a space-separated list in declaration order. */
    public static String join(Set<ApiScope> scopes) {
        return scopes.stream().sorted().map(ApiScope::wire).collect(Collectors.joining(" "));
    }

    @Override
    public String toString() {
        return wire.toLowerCase(Locale.ROOT);
    }
}
