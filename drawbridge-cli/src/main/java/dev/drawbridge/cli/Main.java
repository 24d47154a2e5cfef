package dev.drawbridge.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code drawbridge} command. */
@Command(name = "drawbridge", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
        description = "Establish trust in a fleet of machines and keep it honest.",
        subcommands = {ControllerCommand.class, AgentCommand.class, DemoCommand.class, SimulateCommand.class,
                NodeCommand.class, CaCommand.class, EventsCommand.class, AuditCommand.class, ConfigCommand.class, VersionCommand.class,
                FenceCommands.Fence.class, FenceCommands.Readmit.class, FenceCommands.Instance.class,
                TrustCommands.Token.class, TrustCommands.Client.class, TrustCommands.Trust.class, PeerCommands.class,
                DiscoveryCommands.Discover.class, DiscoveryCommands.Network.class, SerialEnrollCommand.class,
                ClusterCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cli = command();
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("drawbridge: " + Errors.describe(e));
            return e instanceof CliException c ? c.exitCode() : 1;
        });
        return cli.execute(args);
    }

    /** The command tree, with {@code -h}/{@code --help} on every verb and sub-verb. */
    static CommandLine command() {
        CommandLine cli = new CommandLine(new Main());
        withHelp(cli);
        return cli;
    }

    private static void withHelp(CommandLine cmd) {
        if (cmd.getCommandSpec().optionsMap().get("--help") == null) {
            cmd.getCommandSpec().addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                    .description("Show this help and exit.").build());
        }
        cmd.getSubcommands().values().forEach(Main::withHelp);
    }
}
