package dev.drawbridge.cli;

import dev.drawbridge.controller.Controller;
import dev.drawbridge.controller.config.ConfigLoader;
import dev.drawbridge.controller.config.ControllerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code drawbridge controller}: runs the control plane until SIGTERM or Ctrl-C, then shuts down cleanly. */
@Command(name = "controller", description = "Run the controller (HTTPS API, private CA, store).")
final class ControllerCommand implements Callable<Integer> {
    @Option(names = "--config", description = "YAML config file (see docs/configuration.md). Default: built-in defaults.")
    Path config;

    @Option(names = "--data-dir", description = "Data directory (overrides data-dir; default ./drawbridge-data).")
    String dataDir;

    @Option(names = "--listen", description = "HOST:PORT to listen on (overrides listen; default 127.0.0.1:8443).")
    String listen;

    @Override
    public Integer call() throws InterruptedException {
        if (config != null && !Files.isReadable(config)) {
            throw new CliException("cannot read config file " + config);
        }
        ControllerConfig cfg = config == null ? ConfigLoader.load(System.getenv())
                : ConfigLoader.load(config, System.getenv());
        if (dataDir != null) {
            cfg = cfg.withDataDir(dataDir);
        }
        if (listen != null) {
            cfg = cfg.withListen(listen);
        }
        Logging.configure(cfg.log().format(), cfg.log().level());
        Controller controller = Controller.start(cfg, Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            controller.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
        return 0;
    }
}
