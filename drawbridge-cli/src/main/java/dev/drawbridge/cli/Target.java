package dev.drawbridge.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every client verb shares: where the controller is, and whether to print JSON. */
final class Target {
    @Option(names = "--data-dir", description = "A local controller's data directory (default: $DRAWBRIDGE_DATA_DIR or ./drawbridge-data); DRAWBRIDGE_URL, DRAWBRIDGE_TOKEN and DRAWBRIDGE_CA override it.")
    Path dataDir;

    @Option(names = "--json", description = "Print the answer as JSON.")
    boolean json;

    ApiClient client() {
        Path dir = dataDir != null ? dataDir
                : Path.of(System.getenv().getOrDefault("DRAWBRIDGE_DATA_DIR", "drawbridge-data"));
        return ApiClient.from(dir, System.getenv());
    }
}
