package dev.drawbridge.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code drawbridge} command. */
@Command(name = "drawbridge", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
        description = "Establish trust in a fleet of machines and keep it honest.",
        subcommands = {ControllerCommand.class, AgentCommand.class, DemoCommand.class, SimulateCommand.class,
                NodeCommand.class, CaCommand.class, EventsCommand.class, ConfigCommand.class, VersionCommand.class,
                FenceCommands.Fence.class, FenceCommands.Readmit.class, FenceCommands.Instance.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("drawbridge: " + Errors.describe(e));
            return e instanceof CliException c ? c.exitCode() : 1;
        });
        return cli.execute(args);
    }
}
