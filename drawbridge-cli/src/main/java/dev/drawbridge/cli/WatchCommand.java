package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code drawbridge node watch}: prints each node's state and progress as they change. */
@Command(name = "watch", description = "Show live node states and progress until every node settles (or --seconds pass).")
final class WatchCommand implements Callable<Integer> {
    @Mixin Target target;
    @Option(names = "--seconds", defaultValue = "600", description = "Stop after this long.") long seconds;
    @Option(names = "--interval", defaultValue = "1", description = "Seconds between refreshes.") long interval;

    @Override
    public Integer call() throws InterruptedException {
        ApiClient client = target.client();
        Map<String, String> last = new HashMap<>();
        Instant end = Instant.now().plusSeconds(seconds);
        while (Instant.now().isBefore(end)) {
            boolean busy = false;
            for (JsonNode n : client.get("/v1/nodes?limit=1000").path("items")) {
                String line = describe(n);
                busy |= n.path("state").asText().endsWith("ing");
                if (!line.equals(last.put(n.path("name").asText(), line))) {
                    if (target.json) {
                        System.out.println(n);
                    } else {
                        System.out.println(Instant.now().toString().substring(11, 19) + " " + line);
                    }
                }
            }
            if (!busy) {
                return 0;
            }
            Thread.sleep(Duration.ofSeconds(interval));
        }
        return 0;
    }

    static String describe(JsonNode n) {
        StringBuilder b = new StringBuilder(String.format("%-16s %-11s", n.path("name").asText(), n.path("state").asText()));
        JsonNode p = n.path("progress");
        if (p.hasNonNull("total") && p.path("total").asLong() > 0) {
            b.append(String.format(" %3d%%", 100 * p.path("done").asLong() / p.path("total").asLong()));
        }
        if (n.hasNonNull("reason")) {
            b.append("  reason: ").append(n.path("reason").asText());
        }
        if (n.path("unreachable").asBoolean()) {
            b.append("  (unreachable)");
        }
        return b.toString();
    }
}
