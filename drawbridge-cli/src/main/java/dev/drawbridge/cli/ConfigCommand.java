package dev.drawbridge.cli;

import dev.drawbridge.controller.config.ConfigLoader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code drawbridge config}: the defaults and every key's environment variable. */
@Command(name = "config", description = "Print the default configuration (YAML), or every key with its environment variable.")
final class ConfigCommand implements Callable<Integer> {
    @Option(names = "--keys", description = "List keys and their DRAWBRIDGE_... environment variables.") boolean keys;
    @Option(names = "--json", description = "Print JSON.") boolean json;

    @Override
    public Integer call() {
        if (keys || json) {
            Map<String, String> all = new LinkedHashMap<>();
            ConfigLoader.keys().forEach(e -> all.put(e.getKey(), e.getValue()));
            if (json) {
                Out.json(all);
            } else {
                all.forEach((k, v) -> System.out.printf("%-40s %s%n", k, v));
            }
        } else {
            System.out.print(ConfigLoader.defaultsYaml());
        }
        return 0;
    }
}
