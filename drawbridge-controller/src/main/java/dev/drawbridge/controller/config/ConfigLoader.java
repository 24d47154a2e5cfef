package dev.drawbridge.controller.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the controller's YAML file onto {@link ControllerConfig}. The defaults are the base; the file is
 * merged over them; then every known key may be overridden from the environment
 * ({@code store.max-pool-size} becomes {@code DRAWBRIDGE_STORE_MAX_POOL_SIZE}). Unknown keys are an
 * error, so a typo never silently falls back to a default.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = mapper();

    private ConfigLoader() {}

    /** The defaults, with the file merged over them, then the environment over both. */
    public static ControllerConfig load(Path file, Map<String, String> env) {
        ObjectNode tree = YAML.valueToTree(ControllerConfig.defaults());
        merge(tree, readFile(file), "");
        return finish(tree, env);
    }

    /** The defaults with the environment over them, when no file is given. */
    public static ControllerConfig load(Map<String, String> env) {
        return finish(YAML.valueToTree(ControllerConfig.defaults()), env);
    }

    private static ControllerConfig finish(ObjectNode tree, Map<String, String> env) {
        applyEnv(tree, "", env);
        try {
            return YAML.treeToValue(tree, ControllerConfig.class);
        } catch (JsonProcessingException e) {
            throw new ConfigException("invalid configuration: " + e.getOriginalMessage());
        }
    }

    /**
     * A YAML file of another shape (the trust policy's) read over its defaults, unknown keys refused; a
     * ConfigException names the file and what is wrong.
     */
    public static <T> T loadYaml(Path file, T defaults, Class<T> type) {
        ObjectNode tree = YAML.valueToTree(defaults);
        try {
            merge(tree, readFile(file), "");
            return YAML.treeToValue(tree, type);
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + ": " + e.getOriginalMessage());
        } catch (ConfigException e) {
            throw new ConfigException(file + ": " + e.getMessage());
        }
    }

    /** The defaults as YAML, for {@code drawbridge config defaults}. */
    public static String defaultsYaml() {
        try {
            return YAML.writeValueAsString(ControllerConfig.defaults());
        } catch (IOException e) {
            throw new ConfigException("cannot render defaults: " + e.getMessage());
        }
    }

    /** Every leaf key of the configuration in dotted dash-case form, with its environment variable. */
    public static List<Map.Entry<String, String>> keys() {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        collect(YAML.valueToTree(ControllerConfig.defaults()), "", out);
        return out;
    }

    public static String envName(String dottedKey) {
        return "DRAWBRIDGE_" + dottedKey.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static JsonNode readFile(Path file) {
        try {
            JsonNode node = YAML.readTree(Files.readString(file));
            if (node == null || node.isMissingNode() || node.isNull()) {
                return YAML.createObjectNode();
            }
            if (!node.isObject()) {
                throw new ConfigException(file + ": the top level must be a mapping of keys");
            }
            return node;
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
    }

    private static void merge(ObjectNode base, JsonNode overlay, String prefix) {
        Iterator<Map.Entry<String, JsonNode>> fields = overlay.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            String key = prefix + f.getKey();
            JsonNode current = base.get(f.getKey());
            if (current == null) {
                throw new ConfigException("unknown configuration key '" + key + "' (see docs/configuration.md)");
            }
            if (current.isObject()) {
                if (!f.getValue().isObject()) {
                    throw new ConfigException("configuration key '" + key + "' must be a mapping");
                }
                merge((ObjectNode) current, f.getValue(), key + ".");
            } else {
                base.set(f.getKey(), f.getValue());
            }
        }
    }

    private static void applyEnv(ObjectNode node, String prefix, Map<String, String> env) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        List<Map.Entry<String, String>> updates = new ArrayList<>();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            String key = prefix + f.getKey();
            if (f.getValue().isObject()) {
                applyEnv((ObjectNode) f.getValue(), key + ".", env);
            } else if (env.containsKey(envName(key))) {
                updates.add(Map.entry(f.getKey(), env.get(envName(key))));
            }
        }
        // Text nodes are coerced by Jackson into numbers, booleans and durations on binding.
        updates.forEach(u -> node.set(u.getKey(), TextNode.valueOf(u.getValue())));
    }

    private static void collect(JsonNode node, String prefix, List<Map.Entry<String, String>> out) {
        node.fields().forEachRemaining(f -> {
            String key = prefix + f.getKey();
            if (f.getValue().isObject()) {
                collect(f.getValue(), key + ".", out);
            } else {
                out.add(Map.entry(key, envName(key)));
            }
        });
    }

    private static ObjectMapper mapper() {
        SimpleModule durations = new SimpleModule()
                .addSerializer(Duration.class, new DurationText.Serializer())
                .addDeserializer(Duration.class, new DurationText.Deserializer());
        return new ObjectMapper(new YAMLFactory())
                .registerModule(new Jdk8Module())
                .registerModule(durations)
                .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    }

    /** A duration as config writes it ({@code 30s}, {@code 15m}, {@code 24h}, {@code PT24H}); a ConfigException if not. */
    public static Duration duration(String text) {
        return DurationText.parse(text);
    }
}
