package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code drawbridge events}: the audit trail, oldest first. */
@Command(name = "events", description = "Show the audit trail: every decision, granted or refused.")
final class EventsCommand implements Callable<Integer> {
    @Mixin Target target;
    @Option(names = "--after", defaultValue = "0", description = "Only events after this sequence number.") long after;
    @Option(names = "--limit", defaultValue = "100", description = "At most this many events (1-1000).") int limit;

    @Override
    public Integer call() {
        JsonNode page = target.client().get("/v1/events?after=" + after + "&limit=" + limit);
        if (target.json) {
            Out.json(page);
            return 0;
        }
        page.path("items").forEach(e -> System.out.printf("%6d %s %-24s %-8s %-20s %s%n", e.path("seq").asLong(),
                Out.text(e, "at"), Out.text(e, "kind"), Out.text(e, "outcome"), Out.text(e, "subject"),
                e.path("detail")));
        return 0;
    }
}
