package dev.drawbridge.cli;

import dev.drawbridge.pki.CryptoProviders;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;

/** {@code drawbridge version}: the build, the JVM, and which crypto provider is active. */
@Command(name = "version", description = "Show the version, the JVM and the active crypto provider.")
final class VersionCommand implements Callable<Integer> {
    static final String VERSION = "0.1.0";

    @Option(names = "--json", description = "Print JSON.") boolean json;

    @Override
    public Integer call() {
        var crypto = CryptoProviders.install();
        Map<String, Object> info = Map.of("version", VERSION, "java", Runtime.version().toString(),
                "crypto_provider", crypto.active(), "accp", crypto.accp(), "crypto_detail", crypto.detail());
        if (json) {
            Out.json(info);
        } else {
            System.out.println("drawbridge " + VERSION);
            System.out.println("java " + Runtime.version());
            System.out.println("crypto " + crypto.active() + (crypto.accp() ? "" : " (ACCP not loaded: " + crypto.detail() + ")"));
        }
        return 0;
    }

    static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"drawbridge " + VERSION};
        }
    }
}
