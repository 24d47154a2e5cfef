package dev.drawbridge.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.pki.Jws;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.protocol.BootstrapPayload;
import dev.drawbridge.protocol.Causes;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.drawbridge.protocol.TicketProof;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads and verifies the bootstrap payload. The root it carries is the trust anchor, so the check proves only
 * that the payload is whole and was signed by the key of the root it names; that the root is the right one is
 * settled by how the payload reached the node (config drive, virtual media, an operator's hand).
 */
final class Payloads {
    private Payloads() {}

    record Verified(BootstrapPayload payload, X509Certificate root) {}

    static Verified read(Path file) {
        String compact;
        try {
            compact = Files.readString(file);
        } catch (IOException e) {
            throw new AgentException("cannot read bootstrap payload " + file + ": " + e.getMessage(), e);
        }
        return parse(compact, file);
    }

    /** Checks a compact JWS payload; {@code file} names where it came from in the refusal. */
    static Verified parse(String compact, Path file) {
        String claimed = Jws.unverifiedPayload(compact)
                .orElseThrow(() -> refuse(file, "it is not a compact JWS"));
        X509Certificate root;
        try {
            JsonNode tree = Wire.JSON.readTree(claimed);
            if (tree.path("v").asInt(-1) != BootstrapPayload.VERSION) {
                throw refuse(file, "its version \"v\" is not " + BootstrapPayload.VERSION);
            }
            root = Pem.certificate(tree.path("root_ca").asText(""));
        } catch (IOException | RuntimeException e) {
            if (e instanceof AgentException a) {
                throw a;
            }
            throw refuse(file, "its root_ca is not one PEM certificate (" + e.getMessage() + ")");
        }
        String json = Jws.verify(compact, root)
                .orElseThrow(() -> refuse(file, "its signature does not verify with the root it carries"));
        try {
            return new Verified(Wire.JSON.readValue(json, BootstrapPayload.class), root);
        } catch (IOException | RuntimeException e) {
            throw refuse(file, "its fields are malformed (" + rootMessage(e) + ")");
        }
    }

    /** How far this machine's clock may be behind the controller's when a payload is first used. */
    static final Duration MAX_SKEW = Duration.ofMinutes(5);
    /** Where the agent remembers the newest payload it accepted. */
    static final String ACCEPTED = "payload-accepted.json";

    /**
     * Whether a verified payload may be used now, each refusal one line that says what to do:
     * <ul>
     *   <li>replayed: older than the newest payload this agent accepted;</li>
     *   <li>from another controller: its root is not the one of the payload this agent accepted;</li>
     *   <li>before enrollment only (an enrolled agent needs the payload's root, not its ticket): expired, or issued
     *       more than {@link #MAX_SKEW} in this machine's future, which means this clock is behind.</li>
     * </ul>
     * An accepted payload becomes the newest one remembered in the data directory.
     */
    static void admit(Verified v, DataFiles files, boolean enrolled, Clock clock, Path origin) {
        BootstrapPayload p = v.payload();
        String root = TicketProof.fingerprintHex(v.root());
        Optional<Map<String, Object>> last = files.readJson(ACCEPTED);
        if (last.isPresent()) {
            Object lastRoot = last.get().get("root_sha256");
            Instant lastIssued = Instant.parse(String.valueOf(last.get().get("issued_at")));
            if (lastRoot != null && !lastRoot.equals(root)) {
                throw refuse(origin, "it comes from another controller (root " + root.substring(0, 16)
                        + "..., not the " + String.valueOf(lastRoot).substring(0, 16) + "... this agent accepted);"
                        + " clear the data directory to move the node to another controller");
            }
            if (p.issuedAt().isBefore(lastIssued)) {
                throw refuse(origin, "it is replayed: issued " + p.issuedAt() + ", before the payload this agent"
                        + " already accepted (issued " + lastIssued + ")");
            }
        }
        Instant now = clock.instant();
        if (!enrolled && p.expiresAt().isPresent() && now.isAfter(p.expiresAt().get())) {
            throw refuse(origin, "it expired at " + p.expiresAt().get() + " (now " + now + "); get a new one with"
                    + " 'drawbridge node payload " + p.nodeName() + "'");
        }
        if (!enrolled && now.isBefore(p.issuedAt().minus(MAX_SKEW))) {
            throw refuse(origin, "this machine's clock (" + now + ") is " + Duration.between(now, p.issuedAt())
                    .toSeconds() + " s behind the controller's, which issued it at " + p.issuedAt() + " (at most "
                    + MAX_SKEW.toSeconds() + " s allowed); set the clock and start again");
        }
        Map<String, Object> accepted = new LinkedHashMap<>();
        accepted.put("issued_at", p.issuedAt().toString());
        accepted.put("ticket_id", p.ticketId());
        accepted.put("root_sha256", root);
        if (last.isEmpty() || !last.get().equals(accepted)) {
            files.writeJson(ACCEPTED, accepted);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = Causes.root(e);
        String m = t.getMessage() == null ? t.toString() : t.getMessage();
        return m.lines().findFirst().orElse(m);
    }

    private static AgentException refuse(Path file, String why) {
        return new AgentException("refusing to start: bootstrap payload " + file + " is not valid: " + why);
    }
}
