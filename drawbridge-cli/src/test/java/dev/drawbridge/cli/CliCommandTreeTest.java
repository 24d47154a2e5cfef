package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.controller.conductor.NodeActions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The CLI's command tree: help on every verb, and a verb for every lifecycle action the API has. */
class CliCommandTreeTest {
    private static void walk(CommandLine cmd, List<String> prefix, List<List<String>> out) {
        out.add(prefix);
        cmd.getSubcommands().forEach((name, sub) -> {
            List<String> path = new ArrayList<>(prefix);
            path.add(name);
            walk(sub, path, out);
        });
    }

    @Test
    @DisplayName("--help and -h work on every verb and sub-verb, exit 0 and print the usage")
    void helpWorksEverywhere() {
        List<List<String>> paths = new ArrayList<>();
        walk(Main.command(), List.of(), paths);
        assertThat(paths).hasSizeGreaterThan(25);
        PrintStream out = System.out;
        try {
            for (List<String> path : paths) {
                for (String flag : new String[] {"--help", "-h"}) {
                    ByteArrayOutputStream buf = new ByteArrayOutputStream();
                    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
                    List<String> args = new ArrayList<>(path);
                    args.add(flag);
                    int code = Main.run(args.toArray(String[]::new));
                    System.setOut(out);
                    assertThat(code).as(String.join(" ", args)).isZero();
                    assertThat(buf.toString(StandardCharsets.UTF_8)).as(String.join(" ", args)).contains("Usage:");
                }
            }
        } finally {
            System.setOut(out);
        }
    }

    @Test
    @DisplayName("every lifecycle action the API takes has a 'drawbridge node' verb")
    void everyApiActionHasAVerb() {
        var node = Main.command().getSubcommands().get("node").getSubcommands().keySet();
        assertThat(node).containsAll(NodeActions.ACTIONS);
    }
}
