package dev.drawbridge.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The JSON inside a bootstrap payload: a compact JWS ({@code typ drawbridge-payload+jws}) signed by the CA root
 * key that hands a node its identity, the root to trust and its one-time enrollment ticket. {@code mode} is
 * {@code poll} (the agent never learns a controller URL) or {@code callback} (then {@code controllerUrl} is set).
 * {@code time} is the controller's clock at issue, so a node with a wrong clock can tell. {@code expiresAt} is when
 * its ticket expires (absent in payloads from before it was written): a node not yet enrolled refuses it after that.
 */
public record BootstrapPayload(String nodeId, String nodeName, String rootCa, String ticket, Instant issuedAt,
                               String mode, Optional<String> controllerUrl, Instant time,
                               Optional<Instant> expiresAt) {
    /** The payload format version, serialized as {@code "v"}. */
    public static final int VERSION = 1;
    public static final String MODE_POLL = "poll";
    public static final String MODE_CALLBACK = "callback";

    public BootstrapPayload {
        Objects.requireNonNull(nodeId, "node_id");
        Objects.requireNonNull(nodeName, "node_name");
        Objects.requireNonNull(rootCa, "root_ca");
        Objects.requireNonNull(ticket, "ticket");
        Objects.requireNonNull(issuedAt, "issued_at");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(time, "time");
        // Jackson hands a missing Optional property over as null.
        controllerUrl = controllerUrl == null ? Optional.empty() : controllerUrl;
        expiresAt = expiresAt == null ? Optional.empty() : expiresAt;
        if (!mode.equals(MODE_POLL) && !mode.equals(MODE_CALLBACK)) {
            throw new IllegalArgumentException("mode must be poll or callback, not " + mode);
        }
        if (mode.equals(MODE_CALLBACK) && controllerUrl.isEmpty()) {
            throw new IllegalArgumentException("a callback payload needs a controller_url");
        }
        if (mode.equals(MODE_POLL) && controllerUrl.isPresent()) {
            throw new IllegalArgumentException("a poll payload must not carry a controller_url");
        }
        TicketProof.ticketId(ticket); // throws on a malformed ticket
    }

    /** Written as {@code "v": 1} so readers can refuse a format they do not know. */
    @JsonProperty("v")
    public int v() {
        return VERSION;
    }

    /** The ticket's public id part; the secret never leaves this record except through {@link #ticket()}. */
    public String ticketId() {
        return TicketProof.ticketId(ticket);
    }

    /** Hides the ticket secret, so logging a payload never leaks it. */
    @Override
    public String toString() {
        return "BootstrapPayload[nodeId=" + nodeId + ", nodeName=" + nodeName + ", ticketId=" + ticketId()
                + ", issuedAt=" + issuedAt + ", mode=" + mode + ", controllerUrl=" + controllerUrl + "]";
    }
}
