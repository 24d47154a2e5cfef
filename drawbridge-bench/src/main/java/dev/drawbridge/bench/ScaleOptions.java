package dev.drawbridge.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The scale benchmarks' {@code --key value} options. */
final class ScaleOptions {
    private ScaleOptions() {}

    static Map<String, String> parse(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option, got " + args[i]);
            }
            String key = args[i].substring(2);
            boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
            out.put(key, flag ? "true" : args[++i]);
        }
        return out;
    }

    /** A JVM options string as separate arguments. */
    static List<String> split(String s) {
        return s.isBlank() ? List.of() : List.of(s.trim().split("\\s+"));
    }
}
