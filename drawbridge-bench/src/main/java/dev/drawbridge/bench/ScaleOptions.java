package dev.drawbridge.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** ScaleBench's {@code --key value} options and a TLS context trusting only the controller's root. */
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
}
