package dev.drawbridge.controller.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drawbridge.protocol.Wire;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;

/** JSON in and out of the API: bodies are size-capped, must say {@code application/json}, and must be an object. */
final class Json {
    /** The module's one mapping (the protocol's), for writing and for trees. */
    static final ObjectMapper MAPPER = Wire.JSON;
    /** Request bodies: a key given twice is refused rather than the last one silently winning. */
    static final ObjectReader BODY = Wire.JSON.reader().with(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private Json() {}

    static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static void send(ServerResponse res, int status, Object body) {
        res.status(status);
        res.header("Content-Type", "application/json");
        res.send(bytes(body));
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** Reads the body as a JSON object, enforcing the content type and the size limit. */
    static JsonNode body(ServerRequest req, int maxBytes) {
        String type = req.headers().contentType().map(t -> t.mediaType().text()).orElse("");
        if (!type.equalsIgnoreCase("application/json")) {
            throw new ApiException(415, "unsupported-media-type", "Unsupported media type",
                    "send the body as Content-Type: application/json" + (type.isEmpty() ? "" : ", not " + type));
        }
        byte[] raw = Bodies.read(req, maxBytes);
        JsonNode node;
        try {
            node = BODY.readTree(raw);
        } catch (StreamConstraintsException e) {
            // Jackson's own limits (nesting depth, number or string length): say which, not how Jackson names it.
            throw ApiException.badRequest("the body is not acceptable JSON: it nests too deeply or holds a number or"
                    + " string that is too long");
        } catch (JsonProcessingException e) {
            String why = e.getOriginalMessage();
            int hint = why.indexOf(" (StreamReadConstraints");
            throw ApiException.badRequest("the body is not valid JSON: " + (hint > 0 ? why.substring(0, hint) : why));
        } catch (IOException e) {
            throw ApiException.badRequest("the body could not be read: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw ApiException.badRequest("the body must be a JSON object");
        }
        return node;
    }

    /** Reads a raw body up to the limit. */
    static final class Bodies {
        private Bodies() {}

        static byte[] read(ServerRequest req, int maxBytes) {
            long declared = req.headers().contentLength().orElse(-1);
            if (declared > maxBytes) {
                throw tooLarge(maxBytes);
            }
            if (!req.content().hasEntity()) {
                return new byte[0];
            }
            try (InputStream in = req.content().inputStream()) {
                byte[] raw = in.readNBytes(maxBytes + 1);
                if (raw.length > maxBytes) {
                    throw tooLarge(maxBytes);
                }
                return raw;
            } catch (IOException e) {
                throw ApiException.badRequest("the body could not be read: " + e.getMessage());
            }
        }

        private static ApiException tooLarge(int maxBytes) {
            return new ApiException(413, "body-too-large", "Request body too large",
                    "the body is larger than " + maxBytes + " bytes (api.max-body-bytes)");
        }
    }
}
