package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drawbridge.controller.Controller;
import dev.drawbridge.controller.config.ConfigLoader;
import dev.drawbridge.controller.config.ControllerConfig;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code drawbridge demo}: a controller on its embedded store carries simulated nodes through every
 * lifecycle stage built so far: inventory, tickets, enrollment with each node's own key and CSR, a
 * refused replay, revocation, and OCSP answering {@code revoked}.
 */
@Command(name = "demo", description = "Run a controller with simulated nodes through every lifecycle stage built so far.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--nodes", defaultValue = "3", description = "How many simulated nodes (1-50).") int count;
    @Option(names = "--data-dir", defaultValue = "drawbridge-demo-data", description = "Where the demo controller keeps its data (wiped at start).") Path dataDir;
    @Option(names = "--json", description = "Print a JSON summary at the end instead of the progress lines.") boolean json;

    @Override
    public Integer call() throws IOException {
        if (count < 1 || count > 50) {
            throw new CliException("--nodes must be from 1 to 50");
        }
        Logging.configure("plain", "warn");
        wipe(dataDir);
        ControllerConfig cfg = ConfigLoader.load(Optional.empty(), Map.of())
                .withDataDir(dataDir.toString()).withListen("127.0.0.1:0");
        say("[1/5] starting a controller on its embedded SQLite store ...");
        Map<String, Object> summary = new LinkedHashMap<>();
        try (Controller controller = Controller.start(cfg, Clock.systemUTC())) {
            ApiClient api = ApiClient.from(controller.dataDir().root(), Map.of());
            say("      listening on " + controller.url());
            say("      data directory " + controller.dataDir().root() + " (admin token in admin.token, root CA in ca.pem)");
            say("[2/5] adding " + count + " simulated nodes to inventory ...");
            List<String> names = new ArrayList<>();
            for (int i = 1; i <= count; i++) {
                String name = String.format(Locale.ROOT, "node-%02d", i);
                ObjectNode body = ApiClient.JSON.createObjectNode().put("name", name)
                        .put("bmc_address", "127.0.2." + i + ":623").put("agent_address", "127.1.0." + i + ":9999");
                body.putArray("macs").add(String.format(Locale.ROOT, "52:54:00:00:00:%02x", i));
                body.putObject("labels").put("rack", "r1");
                api.post("/v1/nodes", body);
                names.add(name);
                say("      + " + name + "  mac 52:54:00:00:00:" + String.format(Locale.ROOT, "%02x", i));
            }
            say("[3/5] enrolling: each node makes its own key and CSR and proves a one-time ticket ...");
            Map<String, String> serials = new LinkedHashMap<>();
            String lastTicket = "";
            for (String name : names) {
                lastTicket = api.post(NodeCommand.path(name) + "/tickets", ApiClient.JSON.createObjectNode())
                        .path("ticket").asText();
                KeyPair key = DemoPki.newKey();
                JsonNode granted = api.post("/v1/enroll", Map.of("ticket", lastTicket, "csr", DemoPki.csr(key, name)));
                serials.put(name, granted.path("serial").asText());
                say("      " + name + "  certificate serial " + granted.path("serial").asText() + ", valid until "
                        + granted.path("not_after").asText());
            }
            try {
                api.post("/v1/enroll", Map.of("ticket", lastTicket, "csr", DemoPki.csr(DemoPki.newKey(), names.get(names.size() - 1))));
                throw new CliException("a used ticket was accepted twice: this is a bug");
            } catch (CliException refused) {
                say("      replaying " + names.get(names.size() - 1) + "'s ticket is refused: " + refused.getMessage());
            }
            String victim = names.get(names.size() > 1 ? 1 : 0);
            say("[4/5] revoking every certificate of " + victim + " ...");
            JsonNode revoked = api.post(NodeCommand.path(victim) + "/certificates/revoke",
                    Map.of("reason", "key-compromise"));
            say("      revoked " + revoked.path("revoked"));
            say("[5/5] asking the OCSP responder about each node's certificate ...");
            Map<String, String> ocsp = new LinkedHashMap<>();
            for (String name : names) {
                byte[] req = DemoPki.ocspRequest(controller.ca().root(), new BigInteger(serials.get(name), 16));
                String status = DemoPki.ocspStatus(api.postBytes("/v1/ca/ocsp", "application/ocsp-request", req));
                ocsp.put(name, status);
                say("      " + name + "  " + status);
            }
            if (!ocsp.get(victim).startsWith("revoked")) {
                throw new CliException("OCSP did not answer revoked for " + victim);
            }
            long events = api.get("/v1/events?limit=1000").path("items").size();
            say("done: " + names.size() + " nodes enrolled, 1 revoked, " + events + " audit events (./drawbridge events --data-dir "
                    + dataDir + " while a controller runs there)");
            summary.put("url", controller.url());
            summary.put("data_dir", controller.dataDir().root().toString());
            summary.put("serials", serials);
            summary.put("ocsp", ocsp);
            summary.put("audit_events", events);
        }
        if (json) {
            Out.json(summary);
        }
        return 0;
    }

    private void say(String line) {
        if (!json) {
            System.out.println(line);
        }
    }

    private static void wipe(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
