package dev.drawbridge.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.drawbridge.protocol.AgentStatus;
import dev.drawbridge.protocol.CommandStatus;
import dev.drawbridge.protocol.Wire;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The agent API of DESIGN.md §6: status, submit a command, read a command. */
final class Routes {
    private static final Logger LOG = LoggerFactory.getLogger(Routes.class);
    private final CommandRunner runner;
    private final Supplier<AgentStatus> status;

    Routes(CommandRunner runner, Supplier<AgentStatus> status) {
        this.runner = runner;
        this.status = status;
    }

    void register(HttpRouting.Builder r, TlsIdentity tls) {
        r.addFilter(new ClientCertFilter(tls));
        r.get("/v1/status", (req, res) -> json(res, 200, status.get()));
        r.post("/v1/commands", this::submit);
        r.get("/v1/commands/{id}", (req, res) -> {
            String id = req.path().pathParameters().get("id");
            CommandStatus s = runner.get(id).orElseThrow(() -> new ApiProblem(404, "not-found",
                    "No such command", "no command " + CommandParser.abbreviate(id) + " (the agent keeps the last "
                    + CommandRunner.KEEP + ")"));
            json(res, 200, s);
        });
        r.any((req, res) -> Problems.send(req, res, new ApiProblem(404, "not-found", "Not found",
                "no such endpoint: " + req.prologue().method().text() + " "
                        + CommandParser.abbreviate(req.path().path()))));
        r.error(ApiProblem.class, Problems::send);
        r.error(RuntimeException.class, (req, res, e) -> {
            String id = UUID.randomUUID().toString();
            LOG.error("request {} {} failed (error id {})", req.prologue().method().text(), req.path().path(), id, e);
            Problems.send(req, res, new ApiProblem(500, "internal-error", "Internal error",
                    "the agent failed to handle this request; error id " + id + " is in its log"));
        });
    }

    private void submit(ServerRequest req, ServerResponse res) {
        String type = req.headers().first(io.helidon.http.HeaderNames.CONTENT_TYPE).orElse("");
        if (!type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw new ApiProblem(415, "unsupported-media-type", "Unsupported media type",
                    "send the command as application/json");
        }
        JsonNode body;
        try {
            body = Wire.JSON.readTree(req.content().as(byte[].class));
        } catch (IOException e) {
            String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                    ? j.getOriginalMessage() : e.getMessage();
            throw new ApiProblem(400, "bad-json", "Malformed JSON", "the body is not JSON: " + why);
        }
        if (body == null || !body.isObject() || !body.path("name").isTextual()) {
            throw new ApiProblem(400, "bad-command", "Bad command", "expected {\"name\": \"<group>.<command>\", "
                    + "\"params\": {...}}");
        }
        String name = body.get("name").asText();
        JsonNode params = body.has("params") ? body.get("params") : JsonNodeFactory.instance.objectNode();
        CommandStatus started = runner.submit(name, CommandParser.parse(name, params));
        res.header("Location", "/v1/commands/" + started.id());
        json(res, 202, started);
    }

    private static void json(ServerResponse res, int code, Object value) {
        try {
            res.status(code);
            res.header("Content-Type", "application/json");
            res.send(Wire.JSON.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode response", e);
        }
    }
}
