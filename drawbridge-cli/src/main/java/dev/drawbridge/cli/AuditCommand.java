package dev.drawbridge.cli;

import dev.drawbridge.controller.config.ConfigLoader;
import dev.drawbridge.controller.config.ControllerConfig;
import dev.drawbridge.controller.inventory.AuditCheckpoints;
import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.pki.Pem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code drawbridge audit verify}: checks a stopped controller's audit trail offline. */
@Command(name = "audit", description = "Check the tamper-evident audit trail.", subcommands = AuditCommand.Verify.class)
final class AuditCommand {
    /** Exit status when the trail does not check out. */
    static final int TAMPERED = 6;

    @Command(name = "verify", description = "Check every link of the audit chain in a data directory against the newest "
            + "signed checkpoint (audit-checkpoints.jsonl), and name the first bad row or the missing tail. Works on a "
            + "stopped controller's data directory; exits 0 when the trail checks out, 6 when it does not.")
    static final class Verify implements Callable<Integer> {
        @Option(names = "--data-dir", defaultValue = "drawbridge-data", description = "The controller's data directory "
                + "(default ${DEFAULT-VALUE}).") Path dataDir;
        @Option(names = "--config", description = "The controller's config file, when its store is PostgreSQL.")
        Path config;
        @Option(names = "--json", description = "Print the result as JSON.") boolean json;

        @Override
        public Integer call() throws IOException {
            if (!Files.isRegularFile(dataDir.resolve("ca.pem"))) {
                throw new CliException("no ca.pem in " + dataDir.toAbsolutePath() + ": give the controller's data"
                        + " directory with --data-dir");
            }
            ControllerConfig cfg = config == null ? ConfigLoader.load(System.getenv())
                    : ConfigLoader.load(config, System.getenv());
            Path file = dataDir.resolve(AuditCheckpoints.FILE);
            List<String> lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
            AuditCheckpoints.Result r;
            try (Database db = Database.open(cfg.store(), dataDir)) {
                r = AuditCheckpoints.verify(AuditCheckpoints.all(db, AuditLog.jdbi()), lines,
                        Pem.certificate(Files.readString(dataDir.resolve("ca.pem"))));
            }
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("ok", r.ok());
                out.put("events", r.events());
                out.put("checkpoint_seq", r.checkpointSeq());
                out.put("first_bad_seq", r.firstBad().orElse(null));
                out.put("message", r.message());
                Out.json(ApiClient.JSON.valueToTree(out));
            } else {
                System.out.println((r.ok() ? "audit trail OK: " : "audit trail TAMPERED: ") + r.message());
            }
            return r.ok() ? 0 : TAMPERED;
        }
    }
}
