package dev.drawbridge.protocol;

import java.util.Map;

/** {@code POST /v1/commands} body: {@code {"name": "<group>.<command>", "params": {...}}}. */
public record CommandRequest(String name, Map<String, Object> params) {
    public CommandRequest {
        params = Map.copyOf(params);
    }
}
