package dev.drawbridge.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.drawbridge.protocol.AgentStatus;
import dev.drawbridge.protocol.CommandStatus;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent API of DESIGN.md §6 (status, submit a command, read a command), apart from the HTTP server that
 * carries it: a request in, an answer out. The real agent serves it with Helidon; a simulated fleet serves the
 * same object over {@link LightServer}, so both speak exactly the same protocol.
 *
 * <p>Once enrolled, only controllers may call (checked before routing, so an unknown path is a 403 too); see
 * {@link ClientCerts}. {@code POST /v1/commands} honours RFC 7240 {@code Prefer: wait=N}: the answer waits up to
 * N seconds (at most {@link #MAX_WAIT}) for the command to finish, and is 201 with the final status when it did,
 * 202 with the running one when it did not. A poll then needs one request instead of a submit and a read.
 */
final class AgentApi {
    private static final Logger LOG = LoggerFactory.getLogger(AgentApi.class);
    static final Duration MAX_WAIT = Duration.ofSeconds(10);
    private static final Pattern WAIT = Pattern.compile("(?:^|[,;\\s])wait\\s*=\\s*\"?(\\d{1,6})\"?",
            Pattern.CASE_INSENSITIVE);
    private static final String COMMANDS = "/v1/commands";

    /** One request: the method, the path without query, the three headers the API reads, the body and the client chain. */
    record Request(String method, String path, Optional<String> contentType, Optional<String> prefer,
                   Optional<String> authorization, byte[] body, List<Certificate> peer, Optional<String> epoch) {
    }

    /** One answer; {@code location} is set for a created command. */
    record Response(int status, String contentType, byte[] body, Optional<String> location) {
    }

    private final CommandRunner runner;
    private final Supplier<AgentStatus> status;
    private final ClientCerts clientCerts;
    private final PeerRole peerRole;
    private final Contacts contacts = new Contacts(java.time.Clock.systemUTC());

    AgentApi(CommandRunner runner, Supplier<AgentStatus> status, TlsIdentity tls, PeerRole peerRole) {
        this.runner = runner;
        this.status = status;
        this.clientCerts = new ClientCerts(tls);
        this.peerRole = peerRole;
    }

    Contacts contacts() {
        return contacts;
    }

    /** The highest controller epoch seen (Drawbridge-Epoch); 0 before any. */
    private final java.util.concurrent.atomic.AtomicLong epoch = new java.util.concurrent.atomic.AtomicLong();

    /**
     * A controller that drives this node under a claim sends its epoch (the node's reservation, or the active
     * lease); once a higher one was seen, a lower one is a controller that lost its claim (paused, cut off) and is
     * refused with 409, so two controllers never drive the node at once even while one has yet to learn it lost.
     */
    private long fenceByEpoch(Optional<String> header) {
        if (header.isEmpty()) {
            return 0;
        }
        long e;
        try {
            e = Long.parseLong(header.get().strip());
        } catch (NumberFormatException x) {
            throw new ApiProblem(400, "bad-epoch", "Bad epoch", "Drawbridge-Epoch must be a whole number");
        }
        long seen = epoch.accumulateAndGet(e, Math::max);
        if (e < seen) {
            throw new ApiProblem(409, "stale-epoch", "Stale controller epoch", "this node is driven at epoch " + seen
                    + "; epoch " + e + " lost its claim");
        }
        return e;
    }

    Response handle(Request req) {
        try {
            Optional<String> refusal = clientCerts.refusal(req.peer());
            if (refusal.isPresent()) {
                throw new ApiProblem(403, "forbidden", "Controller certificate required", refusal.get());
            }
            long epoch = fenceByEpoch(req.epoch());
            contacts.record(req.peer(), epoch, req.method(), req.path());
            return route(req);
        } catch (ApiProblem p) {
            return problem(req.path(), p);
        } catch (RuntimeException e) {
            String id = UUID.randomUUID().toString();
            LOG.error("request {} {} failed (error id {})", req.method(), CommandParser.abbreviate(req.path()), id, e);
            return problem(req.path(), new ApiProblem(500, "internal-error", "Internal error",
                    "the agent failed to handle this request; error id " + id + " is in its log"));
        }
    }

    private Response route(Request req) {
        String p = req.path();
        if (req.method().equals("GET") && p.equals("/v1/status")) {
            return json(200, status.get());
        }
        if (req.method().equals("POST") && p.equals(COMMANDS)) {
            return submit(req);
        }
        if (req.method().equals("GET") && p.startsWith(COMMANDS + "/") && p.indexOf('/', COMMANDS.length() + 1) < 0) {
            String id = p.substring(COMMANDS.length() + 1);
            CommandStatus s = runner.get(id).orElseThrow(() -> new ApiProblem(404, "not-found", "No such command",
                    "no command " + CommandParser.abbreviate(id) + " (the agent keeps the last " + runner.keep() + ")"));
            return json(200, s);
        }
        Optional<Response> peer = peerRole.handle(req);
        if (peer.isPresent()) {
            return peer.get();
        }
        throw new ApiProblem(404, "not-found", "Not found", "no such endpoint: " + CommandParser.abbreviate(req.method())
                + " " + CommandParser.abbreviate(p));
    }

    private Response submit(Request req) {
        String type = req.contentType().orElse("");
        if (!type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw new ApiProblem(415, "unsupported-media-type", "Unsupported media type",
                    "send the command as application/json");
        }
        JsonNode body;
        try {
            body = Wire.JSON.readTree(req.body());
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new ApiProblem(400, "bad-json", "Malformed JSON", "the body is not JSON: " + why);
        }
        if (body == null || !body.isObject() || !body.path("name").isTextual()) {
            throw new ApiProblem(400, "bad-command", "Bad command", "expected {\"name\": \"<group>.<command>\", "
                    + "\"params\": {...}}");
        }
        String name = body.get("name").asText();
        JsonNode params = body.has("params") ? body.get("params") : JsonNodeFactory.instance.objectNode();
        CommandStatus started = runner.submit(name, CommandParser.parse(name, params));
        Optional<Duration> wait = req.prefer().flatMap(AgentApi::waitPreference);
        CommandStatus now = wait.isEmpty() ? started : runner.await(started.id(), wait.get());
        boolean finished = now.status() != CommandStatus.Status.RUNNING;
        return json(finished ? 201 : 202, now, COMMANDS + "/" + started.id());
    }

    /** The {@code wait} preference of RFC 7240, capped at {@link #MAX_WAIT}; absent or unreadable means no waiting. */
    static Optional<Duration> waitPreference(String prefer) {
        Matcher m = WAIT.matcher(prefer);
        if (!m.find()) {
            return Optional.empty();
        }
        long seconds = Long.parseLong(m.group(1));
        Duration d = Duration.ofSeconds(seconds);
        return seconds == 0 ? Optional.empty() : Optional.of(d.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : d);
    }

    private static Response json(int code, Object value, String location) {
        return new Response(code, "application/json", encode(value), Optional.of(location));
    }

    private static Response json(int code, Object value) {
        return new Response(code, "application/json", encode(value), Optional.empty());
    }

    private static byte[] encode(Object value) {
        try {
            return Wire.JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode response", e);
        }
    }

    /** An RFC 9457 {@code application/problem+json} answer. */
    static Response problem(String path, ApiProblem p) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "https://drawbridge.dev/problems/" + p.type());
        body.put("title", p.title());
        body.put("status", p.status());
        body.put("detail", p.getMessage());
        body.put("instance", path);
        try {
            return new Response(p.status(), "application/problem+json", Wire.JSON.writeValueAsBytes(body),
                    Optional.empty());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
