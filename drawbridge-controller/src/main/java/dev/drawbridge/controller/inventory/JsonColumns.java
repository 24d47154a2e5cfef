package dev.drawbridge.controller.inventory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.drawbridge.protocol.Wire;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** JSON columns (MACs, labels, audit detail). Maps are written with sorted keys so equal values store equally. */
final class JsonColumns {
    /** The module's one mapping (the protocol's), writing map keys in order. */
    private static final ObjectWriter WRITER = Wire.JSON.writer().with(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
    private static final TypeReference<TreeMap<String, String>> STRING_MAP = new TypeReference<>() {};

    private JsonColumns() {}

    static String write(Object value) {
        try {
            return WRITER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    static List<String> strings(String json) {
        return read(json, STRINGS);
    }

    static Map<String, String> stringMap(String json) {
        return read(json, STRING_MAP);
    }

    private static <T> T read(String json, TypeReference<T> type) {
        try {
            return Wire.JSON.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("corrupt JSON column: " + e.getOriginalMessage(), e);
        }
    }
}
