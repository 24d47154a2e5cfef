package dev.drawbridge.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The simulator's command language, one command a line, read from the control file as it grows and from stdin:
 * {@code drift NODE [PCR]}, {@code silence NODE}, {@code answer NODE}, {@code slow NODE MS},
 * {@code lose NODE COMMAND} (the answer to the node's next COMMAND submission is lost), {@code status}.
 */
final class FleetControl {
    private final Map<String, FleetNode> fleet;
    private final Consumer<String> say;

    FleetControl(Map<String, FleetNode> fleet, Consumer<String> say) {
        this.fleet = fleet;
        this.say = say;
    }

    /** Applies lines appended to {@code file} until {@code end}. */
    void follow(Path file, Instant end) throws IOException, InterruptedException {
        long offset = 0;
        StringBuilder partial = new StringBuilder();
        while (Instant.now().isBefore(end)) {
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
                if (f.length() > offset) {
                    byte[] b = new byte[(int) (f.length() - offset)];
                    f.seek(offset);
                    f.readFully(b);
                    offset += b.length;
                    partial.append(new String(b, StandardCharsets.UTF_8));
                    int nl;
                    while ((nl = partial.indexOf("\n")) >= 0) {
                        apply(partial.substring(0, nl));
                        partial.delete(0, nl + 1);
                    }
                }
            }
            Thread.sleep(250);
        }
    }

    void readStdin() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                apply(line);
            }
        } catch (IOException e) {
            // No stdin (run in the background): the control file still works.
        }
    }

    void apply(String line) {
        String[] w = line.trim().split("\\s+");
        if (w.length == 0 || w[0].isEmpty() || w[0].startsWith("#")) {
            return;
        }
        try {
            switch (w[0]) {
                case "drift" -> nodes(w).forEach(n -> n.drift(w.length > 2 ? Integer.parseInt(w[2]) : 7));
                case "silence" -> nodes(w).forEach(n -> n.faults().silence(true));
                case "answer" -> nodes(w).forEach(n -> n.faults().silence(false));
                case "slow" -> nodes(w).forEach(n -> n.faults().delay(Long.parseLong(w[2])));
                case "lose" -> {
                    if (w.length < 3) {
                        throw new CliException("lose NODE COMMAND, e.g. lose sim-00001 identity.install_certificate");
                    }
                    nodes(w).forEach(n -> n.faults().loseAnswerTo(w[2]));
                }
                case "status" -> {
                    Map<String, Integer> faults = new TreeMap<>();
                    fleet.values().forEach(n -> faults.merge(n.address().isEmpty() ? "?" : describe(n), 1, Integer::sum));
                    say.accept("status: " + faults);
                    return;
                }
                default -> throw new CliException("unknown command '" + w[0] + "' (drift, silence, answer, slow, lose, status)");
            }
            say.accept("done: " + line.trim());
        } catch (RuntimeException e) {
            say.accept("refused: " + line.trim() + ": " + e.getMessage());
        }
    }

    private static String describe(FleetNode n) {
        return n.faults().describe();
    }

    private List<FleetNode> nodes(String[] w) {
        if (w.length < 2) {
            throw new CliException("which node?");
        }
        if (w[1].equals("all")) {
            return List.copyOf(fleet.values());
        }
        FleetNode n = fleet.get(w[1]);
        if (n == null) {
            throw new CliException("no simulated node " + w[1]);
        }
        return List.of(n);
    }
}
