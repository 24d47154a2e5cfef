package dev.drawbridge.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-input table per endpoint, generated from the route table (openapi.json): every operation that takes a
 * body gets each kind of bad body, and every operation gets bad path segments. Each answer must be a 4xx
 * problem+json with a detail that names no exception class or library internals, never a 5xx, and the state tables
 * must be unchanged afterwards. The field-by-field cases (a MAC that is not one, a duplicate name, ...) are in
 * {@link BadInputTest}.
 */
class BadInputMatrixTest {
    @TempDir Path dir;

    private static Map<String, byte[]> badBodies() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        out.put("malformed JSON", "{\"name\": ".getBytes(StandardCharsets.UTF_8));
        out.put("an array instead of an object", "[1,2,3]".getBytes(StandardCharsets.UTF_8));
        out.put("wrong types for every field", ("{\"name\":7,\"macs\":\"x\",\"labels\":[1],\"cpus\":\"many\","
                + "\"memory_mb\":true,\"reason\":{},\"approved_by\":[],\"action\":3,\"pcrs\":\"7\",\"ticket\":1,"
                + "\"csr\":false,\"lifetime\":-5}").getBytes(StandardCharsets.UTF_8));
        out.put("a 10 MB body", new byte[10 << 20]);
        out.put("10,000 levels of nesting", ("{\"a\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}")
                .getBytes(StandardCharsets.UTF_8));
        out.put("NUL in a name", "{\"name\":\"a\\u0000b\",\"reason\":\"a\\u0000b\",\"approved_by\":\"\\u0000\"}"
                .getBytes(StandardCharsets.UTF_8));
        byte[] notUtf8 = "{\"name\":\"ab\"}".getBytes(StandardCharsets.UTF_8);
        notUtf8[10] = (byte) 0xC3; // a lone lead byte
        out.put("bytes that are not UTF-8", notUtf8);
        out.put("path traversal in names and labels", ("{\"name\":\"../../etc/passwd\",\"labels\":{\"../x\":\"/..\"},"
                + "\"devices\":\"/../../dev/sda\",\"group\":\"../g\"}").getBytes(StandardCharsets.UTF_8));
        out.put("negative and huge numbers", ("{\"name\":\"n\",\"cpus\":-1,\"memory_mb\":99999999999999999999999,"
                + "\"limit\":-3}").getBytes(StandardCharsets.UTF_8));
        out.put("invalid MACs and addresses", ("{\"name\":\"n\",\"macs\":[\"zz:zz\"],\"bmc_address\":\"a b;c\","
                + "\"agent_address\":\"http://\\n\"}").getBytes(StandardCharsets.UTF_8));
        out.put("duplicate keys", "{\"name\":\"a\",\"name\":\"b\"}".getBytes(StandardCharsets.UTF_8));
        return out;
    }

    private static final List<String> BAD_SEGMENTS = List.of("..%2F..%2Fetc%2Fpasswd", "a%00b", "%C3", "-1",
            "99999999999999999999999999", "x".repeat(300));

    @Test
    @DisplayName("every endpoint refuses every kind of bad input with a 4xx problem+json and changes nothing")
    void everyEndpointRefusesBadInput() throws Exception {
        try (var c = RunningController.start(dir.resolve("data"))) {
            c.createNode("existing");
            JsonNode paths = Json.MAPPER.readTree(getClass().getResourceAsStream("/openapi.json")).path("paths");
            var before = StoreSnapshot.of(c.controller.database());
            List<String> calls = new ArrayList<>();
            paths.fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(op -> {
                String method = op.getKey().toUpperCase();
                String template = p.getKey();
                if (!template.startsWith("/v1") && !template.startsWith("/ibm")) {
                    return;
                }
                String path = template.replace("{id}", "existing").replace("{serial}", "ab12")
                        .replace("{request}", "MAo").replace("{group}", "gpu");
                if (op.getValue().has("requestBody")) {
                    for (var bad : badBodies().entrySet()) {
                        var a = c.call(method, path, "application/json", bad.getValue(),
                                "Authorization", "Bearer " + c.token, "X-Auth-Token", c.token);
                        check(a, bad.getKey() + " to " + method + " " + template);
                        calls.add(method + " " + template);
                    }
                }
                if (template.contains("{")) {
                    for (String seg : BAD_SEGMENTS) {
                        String bad = template.replaceAll("\\{[a-z]+}", seg);
                        var a = c.call(method, bad, op.getValue().has("requestBody") ? "application/json" : null,
                                op.getValue().has("requestBody") ? "{}".getBytes(StandardCharsets.UTF_8) : null,
                                "Authorization", "Bearer " + c.token, "X-Auth-Token", c.token);
                        if (a.status() / 100 == 2 && method.equals("GET")) {
                            continue; // e.g. an OCSP GET answers malformedRequest inside a 200, as RFC 6960 says
                        }
                        check(a, "path segment '" + seg.substring(0, Math.min(seg.length(), 20)) + "' in " + method
                                + " " + template);
                        calls.add(method + " " + bad);
                    }
                }
            }));
            assertThat(StoreSnapshot.of(c.controller.database())).as("no bad input changed a state table")
                    .isEqualTo(before);
            assertThat(calls.size()).isGreaterThan(150);
            System.out.println("bad-input matrix: " + calls.size() + " bad requests, all 4xx problem+json, store unchanged");
        }
    }

    private static void check(RunningController.Answer a, String what) {
        assertThat(a.status()).as(what + ": " + a.text()).isBetween(400, 499);
        assertThat(a.header("Content-Type")).as(what).isEqualTo("application/problem+json");
        String detail = a.json().path("detail").asText();
        assertThat(detail).as(what).isNotBlank().doesNotContain("Exception").doesNotContain("com.fasterxml")
                .doesNotContain("io.helidon").doesNotContain("java.");
    }
}
