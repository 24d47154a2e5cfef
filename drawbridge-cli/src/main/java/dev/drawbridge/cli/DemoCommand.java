package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.agent.AgentConfig;
import dev.drawbridge.agent.BootstrapSource;
import dev.drawbridge.agent.PeerOutcome;
import dev.drawbridge.controller.Controller;
import dev.drawbridge.controller.config.ConfigLoader;
import dev.drawbridge.controller.config.ControllerConfig;
import dev.drawbridge.controller.config.DiscoveryConfig;
import dev.drawbridge.controller.config.TrustConfig;
import dev.drawbridge.controller.trust.PeerService;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.pki.Profile;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code drawbridge demo}: a controller on its embedded store carries simulated nodes (the agents
 * {@code drawbridge simulate} runs, on loopback addresses, speaking HTTPS) through every lifecycle stage built so far: bootstrap payload,
 * hardware validation, ticket-proven enrollment, cleaning, image deployment, a direct CSR enrollment with
 * a refused replay, revocation, and OCSP answering {@code revoked}.
 */
@Command(name = "demo", description = "Run a controller with simulated nodes through every lifecycle stage built so far.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--nodes", defaultValue = "3", description = "How many simulated nodes (1-50).") int count;
    @Option(names = "--data-dir", defaultValue = "drawbridge-demo-data", description = "Where the demo keeps its data (wiped at start).") Path dataDir;
    @Option(names = "--json", description = "Print a JSON summary at the end instead of the progress lines.") boolean json;
    @Option(names = "--ha", description = "Instead: two controllers on one embedded store in the built-in"
            + " active/standby mode; kill the active one and watch the standby take over.") boolean ha;

    private ApiClient api;
    private final Map<String, String> shown = new HashMap<>();

    @Override
    public Integer call() throws Exception {
        if (count < 1 || count > 50) {
            throw new CliException("--nodes must be from 1 to 50");
        }
        Logging.configure("plain", "error");
        wipe(dataDir);
        if (ha) {
            Map<String, Object> result = new HaDemo(dataDir, Math.min(count, 5), this::say).run();
            if (json) {
                Out.json(result);
            } else {
                say("done: the fleet kept its active controller through a kill -9 (data in " + dataDir + ")");
            }
            return 0;
        }
        ControllerConfig cfg = ConfigLoader.load(Map.of())
                .withDataDir(dataDir.resolve("controller").toString()).withListen("127.0.0.1:0");
        cfg = cfg.withConductor(cfg.conductor().withPollInterval(Duration.ofSeconds(1))
                .withBusyPollInterval(Duration.ofMillis(150)))
                .withFencing(cfg.fencing().withPowerDriver("fake"))
                // DNS-SD on loopback only: the demo announces nothing on the machine's real networks.
                .withDiscovery(new DiscoveryConfig(true, List.of("127.0.0.1"), true, 4096,
                        new DiscoveryConfig.AutoEnroll(false, List.of(), List.of())))
                // Short-lived node certificates, so the demo shows one renewed over the poll channel.
                .withCa(cfg.ca().withLifetimes(NODE_LIFETIME, cfg.ca().controllerLifetime()));
        say("[1/11] starting a controller on its embedded SQLite store ...");
        Map<String, Object> summary = new LinkedHashMap<>();
        // The nodes are the simulator's (drawbridge simulate): agents with their own TLS key, hardware profile and
        // software TPM on their own loopback address, driven by the same control language.
        Map<String, FleetNode> fleet = new LinkedHashMap<>();
        FleetControl control = new FleetControl(fleet, line -> say("      simulator: " + line));
        try (Controller controller = Controller.start(cfg, Clock.systemUTC());
             ImageServer images = new ImageServer("127.0.0.1", 8L << 20)) {
            api = ApiClient.from(controller.dataDir().root(), Map.of());
            say("      listening on " + controller.url());
            say("      data directory " + controller.dataDir().root() + " (admin token in admin.token, root CA in ca.pem)");
            say("[2/11] adding " + count + " simulated nodes (as drawbridge simulate runs them); each agent gets a signed"
                    + " bootstrap payload and no controller URL ...");
            List<String> names = new ArrayList<>();
            for (int i = 1; i <= count; i++) {
                String name = String.format(Locale.ROOT, "node-%02d", i);
                String mac = String.format(Locale.ROOT, "52:54:00:00:00:%02x", i);
                api.post("/v1/nodes", Map.of("name", name, "macs", List.of(mac), "bmc_address", "127.0.2." + i + ":623"));
                String payload = api.post(NodeCommand.path(name) + "/payload", Map.of("mode", "poll")).path("payload").asText();
                FleetNode agent = FleetNode.start(dataDir.resolve(name), name, "127.1.0." + i, payload,
                        SimulatedNode.profile(mac), List.of("127.1.0." + i));
                fleet.put(name, agent);
                api.patch(NodeCommand.path(name), Map.of("agent_address", agent.address(),
                        "labels", Map.of("rack", "r1", "root-device", agent.disk().toString())));
                names.add(name);
                say("      + " + name + "  mac " + mac + "  agent https://" + agent.address());
            }
            discovery(names);
            summary.put("channels", channels());
            say("[3/11] manage: the conductor polls each agent, checks its MACs, pins its key after a ticket proof, enrolls it ...");
            actAll(names, Map.of("action", "manage"), "manageable");
            say("[4/11] provide: cleaning each node's disk ...");
            actAll(names, Map.of("action", "provide"), "available");
            String sha = images.publishRandom("/images/demo-os.img", 16 << 20);
            say("[5/11] deploy: writing a 16 MiB image (sha256 " + sha.substring(0, 16) + "...) and rebooting ...");
            actAll(names, Map.of("action", "deploy", "image_url", images.url("/images/demo-os.img"), "image_sha256", sha),
                    "active");
            Map<String, String> serials = new LinkedHashMap<>();
            for (String name : names) {
                JsonNode cert = api.get(NodeCommand.path(name) + "/certificates").path("items").get(0);
                serials.put(name, cert.path("serial").asText());
                say("      " + name + "  identity CN=" + name + ", serial " + cert.path("serial").asText() + ", valid until "
                        + cert.path("not_after").asText());
            }
            say("[6/11] a machine enrolling itself with its own key and CSR; then its ticket replayed ...");
            api.post("/v1/nodes", Map.of("name", "node-manual"));
            String ticket = api.post(NodeCommand.path("node-manual") + "/tickets", Map.of()).path("ticket").asText();
            JsonNode granted = api.post("/v1/enroll", Map.of("ticket", ticket, "csr", DemoPki.csr(DemoPki.newKey(), "node-manual")));
            serials.put("node-manual", granted.path("serial").asText());
            say("      node-manual  certificate serial " + granted.path("serial").asText());
            try {
                api.post("/v1/enroll", Map.of("ticket", ticket, "csr", DemoPki.csr(DemoPki.newKey(), "node-manual")));
                throw new IllegalStateException("a used ticket was accepted twice: this is a bug");
            } catch (CliException refused) {
                say("      replay refused: " + refused.getMessage());
            }
            console(names.getFirst());
            String victim = names.get(names.size() > 1 ? 1 : 0);
            say("[8/11] revoking every certificate of " + victim + ", then asking the OCSP responder about each ...");
            api.post(NodeCommand.path(victim) + "/certificates/revoke", Map.of("reason", "key-compromise"));
            Map<String, String> ocsp = new LinkedHashMap<>();
            for (var e : serials.entrySet()) {
                byte[] req = DemoPki.ocspRequest(controller.ca().root(), new BigInteger(e.getValue(), 16));
                String status = DemoPki.ocspStatus(api.postBytes("/v1/ca/ocsp", "application/ocsp-request", req));
                ocsp.put(e.getKey(), status);
                say("      " + e.getKey() + "  " + status);
            }
            if (!ocsp.get(victim).startsWith("revoked")) {
                throw new CliException("OCSP did not answer revoked for " + victim);
            }
            if (names.size() > 2) {
                Map<String, Object> fenced = tamper(names, control);
                summary.put("fence", fenced);
                summary.put("round_trips", roundTrips(victim, (String) fenced.get("fenced"), images));
            }
            summary.put("machine_trust", machineTrust(controller));
            long events = api.get("/v1/events?limit=1000").path("items").size();
            StringBuilder states = new StringBuilder();
            // Listed through the paged, filtered endpoint the CLI's 'node list' uses.
            for (String st : new String[] {"active", "fenced"}) {
                api.get("/v1/nodes?state=" + st + "&limit=1000").path("items").forEach(n -> states.append(
                        n.path("name").asText()).append(' ').append(st).append(", "));
            }
            say("done: " + states + events + " audit events; the provisioning agents were given no controller URL, so"
                    + " every exchange with them was the conductor polling; only the chassis BMC called the"
                    + " controller, at its peer API");
            summary.put("url", controller.url());
            summary.put("data_dir", controller.dataDir().root().toString());
            summary.put("states", names.stream().collect(Collectors.toMap(n -> n,
                    n -> api.get(NodeCommand.path(n)).path("state").asText(), (a, b) -> a, LinkedHashMap::new)));
            summary.put("serials", serials);
            summary.put("ocsp", ocsp);
            summary.put("audit_events", events);
        } finally {
            fleet.values().forEach(FleetNode::close);
        }
        if (json) {
            Out.json(summary);
        }
        return 0;
    }

    /**
     * Attestation and fencing live: waits for trusted verdicts, places instances, then extends a PCR on one
     * node's (simulated) TPM as an attacker's boot change would, and shows the fence happen.
     */
    private Map<String, Object> tamper(List<String> names, FleetControl control) throws InterruptedException {
        say("[9/11] continuous attestation: every poll asks each TPM for a quote over a fresh nonce ...");
        String revoked = names.get(1);
        awaitTrue(() -> api.get(NodeCommand.path(revoked)).path("state").asText().equals("fenced"));
        say("      " + revoked + "  " + api.get(NodeCommand.path(revoked)).path("reason").asText());
        List<String> trusted = names.stream().filter(n -> !n.equals(revoked)).toList();
        for (String n : trusted) {
            awaitTrue(() -> api.get(NodeCommand.path(n) + "/attestations").path("current").asText().equals("trusted"));
            say("      " + n + "  verdict trusted");
        }
        Map<String, String> placed = new LinkedHashMap<>();
        for (int i = 1; i <= 2; i++) {
            JsonNode inst = api.post("/v1/instances", Map.of("name", "web-" + i, "cpus", 1, "memory_mb", 1024));
            placed.put(inst.path("name").asText(), nameOf(inst.path("node_id").asText()));
            say("      instance web-" + i + " placed on " + placed.get("web-" + i));
        }
        String target = placed.get("web-1");
        say("      tampering: extending PCR 7 of " + target + "'s TPM (the simulator's 'drift " + target + " 7') ...");
        control.apply("drift " + target + " 7");
        long started = System.nanoTime();
        awaitTrue(() -> api.get(NodeCommand.path(target)).path("state").asText().equals("fenced"));
        say("      " + target + "  FENCED after " + (System.nanoTime() - started) / 1_000_000 + " ms: "
                + api.get(NodeCommand.path(target)).path("reason").asText());
        awaitTrue(() -> !api.get(NodeCommand.path(target) + "/fences").path("items").get(0).path("status").asText()
                .equals("running"));
        JsonNode fence = api.get(NodeCommand.path(target) + "/fences").path("items").get(0);
        fence.path("steps").forEach(st -> say(String.format("        %-20s %-8s %s", st.path("step").asText(),
                st.path("status").asText(), Out.text(st, "detail"))));
        for (String i : placed.keySet()) {
            JsonNode now = api.get("/v1/instances/" + i);
            say("      instance " + i + " now " + now.path("state").asText() + (now.hasNonNull("node_id")
                    ? " on " + nameOf(now.path("node_id").asText()) : ": " + now.path("reason").asText()));
        }
        JsonNode retired = api.deleteJson("/v1/instances/web-2");
        say("      instance web-2 deleted (DELETE /v1/instances/web-2)" + (retired.hasNonNull("node_id")
                ? ": " + nameOf(retired.path("node_id").asText()) + " has its room back" : ""));
        return Map.of("fenced", target, "status", fence.path("status").asText());
    }

    /** Node certificates in the demo live this long, so a renewal happens while it runs. */
    private static final Duration NODE_LIFETIME = Duration.ofSeconds(45);

    /** The management console's exchange (SignCSR): a console certificate, and a CSR naming a node refused. */
    private void console(String nodeName) {
        say("[7/11] a management console exchanges a CSR for a certificate (POST /ibm/v1/Host/Actions/SignCSR) ...");
        JsonNode signed = api.post("/ibm/v1/Host/Actions/SignCSR", Map.of("CsrString",
                DemoPki.csr(DemoPki.newKey(), "console-01")));
        var cert = Pem.certificate(signed.path("Certificate").asText());
        say("      console-01  certificate serial " + cert.getSerialNumber().toString(16) + ", profile "
                + Profile.of(cert).map(Enum::name).orElse("none") + " (TLS client only; no node check"
                + " accepts it)");
        try {
            api.post("/ibm/v1/Host/Actions/SignCSR", Map.of("CsrString", DemoPki.csr(DemoPki.newKey(), nodeName)));
            throw new IllegalStateException("a console CSR naming a node was signed: this is a bug");
        } catch (CliException refused) {
            say("      a console CSR for CN=" + nodeName + " refused: " + refused.getMessage());
        }
    }

    /**
     * The journeys between steps: a fenced node cannot enroll again; a readmitted node stays trusted across the
     * next polls; a failed deploy is recovered with manage; a certificate is renewed before it expires.
     */
    private Map<String, Object> roundTrips(String revokedNode, String drifted, ImageServer images)
            throws InterruptedException {
        say("[10/11] lifecycle round trips ...");
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            api.post(NodeCommand.path(revokedNode) + "/tickets", Map.of());
            throw new IllegalStateException("a fenced node got an enrollment ticket: this is a bug");
        } catch (CliException refused) {
            say("      new ticket for fenced " + revokedNode + " refused: " + refused.getMessage());
        }
        api.post(NodeCommand.path(drifted) + "/baseline", Map.of("approved_by", "demo-operator", "reason",
                "planned firmware update (the PCR 7 change above)"));
        awaitTrue(() -> api.get(NodeCommand.path(drifted) + "/attestations").path("current").asText().equals("trusted"));
        api.post(NodeCommand.path(drifted) + "/readmit", Map.of("approved_by", "demo-operator", "reason", "re-imaged"));
        awaitTrue(() -> api.get(NodeCommand.path(drifted)).path("state").asText().equals("manageable"));
        say("      " + drifted + " readmitted with a new certificate after the baseline was accepted; watching 10 polls ...");
        Thread.sleep(10_000);
        JsonNode held = api.get(NodeCommand.path(drifted));
        String verdict = api.get(NodeCommand.path(drifted) + "/attestations").path("current").asText();
        say("      " + drifted + " still " + held.path("state").asText() + ", verdict " + verdict);
        if (!held.path("state").asText().equals("manageable") || !verdict.equals("trusted")) {
            throw new CliException("the readmission of " + drifted + " did not hold: " + held);
        }
        out.put("readmitted", drifted);
        api.post(NodeCommand.path(drifted) + "/actions", Map.of("action", "provide"));
        awaitTrue(() -> api.get(NodeCommand.path(drifted)).path("state").asText().equals("available"));
        images.publishRandom("/images/small.img", 1 << 20);
        api.post(NodeCommand.path(drifted) + "/actions", Map.of("action", "deploy", "image_url",
                images.url("/images/small.img"), "image_sha256", "0".repeat(64)));
        awaitTrue(() -> api.get(NodeCommand.path(drifted)).path("state").asText().equals("error"));
        say("      " + drifted + " deploy with a wrong checksum -> error: " + api.get(NodeCommand.path(drifted))
                .path("reason").asText());
        api.post(NodeCommand.path(drifted) + "/actions", Map.of("action", "manage"));
        awaitTrue(() -> api.get(NodeCommand.path(drifted)).path("state").asText().equals("manageable"));
        say("      " + drifted + " recovered with manage: hardware checked again, identity kept -> manageable");
        out.put("recovered", drifted);
        String renewing = revokedNode.equals(drifted) ? drifted : api.get("/v1/nodes?state=active&limit=1")
                .path("items").path(0).path("name").asText(drifted);
        say("      waiting for " + renewing + "'s " + NODE_LIFETIME.toSeconds() + " s certificate to be renewed at two-thirds"
                + " of its lifetime ...");
        awaitTrue(() -> api.get(NodeCommand.path(renewing) + "/certificates").path("items").size() >= 2);
        JsonNode certs = api.get(NodeCommand.path(renewing) + "/certificates").path("items");
        certs.forEach(c -> say("      " + renewing + "  serial " + c.path("serial").asText() + "  "
                + c.path("status").asText() + "  until " + c.path("not_after").asText()));
        out.put("renewed", renewing);
        return out;
    }

    /**
     * Machine trust: a scoped token for scripts; two more controllers that register with each other by DCR, obtain
     * tokens and call each other's peer API; and a third whose registration the second one's trust policy refuses.
     */
    private Map<String, Object> machineTrust(Controller first) throws Exception {
        say("[11/11] machine trust: scoped tokens, controllers that register with each other, and a chassis BMC ...");
        Map<String, Object> out = new LinkedHashMap<>();
        String readOnly = api.post("/v1/oauth/tokens", Map.of("scope", "nodes:read")).path("access_token").asText();
        ApiClient reader = ApiClient.from(first.dataDir().root(), Map.of("DRAWBRIDGE_URL", first.url(),
                "DRAWBRIDGE_TOKEN", readOnly, "DRAWBRIDGE_CA", first.dataDir().file("ca.pem").toString()));
        say("      a nodes:read token (drawbridge token --scope nodes:read) lists " + reader.get("/v1/nodes")
                .path("items").size() + " nodes ...");
        try {
            reader.post("/v1/nodes", Map.of("name", "not-allowed"));
            throw new IllegalStateException("a nodes:read token created a node: this is a bug");
        } catch (CliException refused) {
            say("      ... and cannot create one: " + refused.getMessage());
        }
        Path bPolicy = dataDir.resolve("peer-b-policy.yaml");
        Files.writeString(bPolicy, "{}\n");
        try (Controller b = peer("peer-b", bPolicy); Controller c = peer("peer-c", dataDir.resolve("none"))) {
            ApiClient bApi = ApiClient.from(b.dataDir().root(), Map.of());
            ApiClient cApi = ApiClient.from(c.dataDir().root(), Map.of());
            JsonNode ab = api.post("/v1/peers", Map.of("url", b.url(), "ca", Files.readString(b.dataDir().file("ca.pem"))));
            JsonNode ba = bApi.post("/v1/peers", Map.of("url", first.url(), "ca",
                    Files.readString(first.dataDir().file("ca.pem"))));
            say("      " + first.url() + " registered with peer-b as client " + ab.path("client_id").asText() + ": "
                    + ab.path("last_status").asText() + ", peer id " + ab.path("peer_id").asText());
            say("      peer-b registered with " + first.url() + " as client " + ba.path("client_id").asText() + ": "
                    + ba.path("last_status").asText());
            JsonNode call = api.post("/v1/peers/" + ab.path("id").asText() + "/call", Map.of()).path("answers");
            say("      a token by client_credentials, then GET /v1/peer/identity at peer-b: role "
                    + call.path("identity").path("role").asText() + ", it sees us as " + call.path("identity")
                    .path("you").asText() + "; health " + call.path("health").path("status").asText());
            String cClient = "controller " + PeerService.controllerId(c.ca().root());
            Files.writeString(bPolicy, "operator:\n  deny: [\"" + cClient + "\"]\n");
            try {
                cApi.post("/v1/peers", Map.of("url", b.url(), "ca", Files.readString(b.dataDir().file("ca.pem"))));
                throw new IllegalStateException("peer-b accepted a client its policy denies: this is a bug");
            } catch (CliException refused) {
                say("      peer-c refused by peer-b's trust policy: " + refused.getMessage());
            }
            out.put("peers", List.of(ab.path("peer_id").asText(), ba.path("peer_id").asText()));
            out.put("refused", cClient);
        }
        out.put("bmc", chassisBmc(first));
        return out;
    }

    /**
     * Two more nodes get their payload another way: one from a config drive (an ISO made with xorriso, read by the
     * agent with isoinfo), one over a serial line (a socat pty pair) with no IP path, enrolled there and then. Shown
     * when xorriso, isoinfo and socat are installed (scripts/test installs them); otherwise the demo says what to
     * install and goes on.
     */
    private Map<String, Object> channels() throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        List<String> missing = Stream.of("xorriso", "isoinfo", "socat")
                .filter(t -> !Files.isExecutable(Path.of("/usr/bin", t))).toList();
        if (!missing.isEmpty()) {
            say("      bootstrap channels: not shown, " + String.join(", ", missing) + " missing (apt-get install xorriso"
                    + " genisoimage socat)");
            out.put("skipped", missing);
            return out;
        }
        api.post("/v1/nodes", Map.of("name", "cd-node", "macs", List.of("52:54:00:00:0c:01")));
        Path iso = dataDir.resolve("cd-node.iso");
        BootstrapChannel.Delivery d = BootstrapChannel.named("config-drive", iso).deliver(api, "cd-node");
        Path cdData = dataDir.resolve("cd-node").resolve("agent-data");
        Path fromDrive = BootstrapSource.fetch("config-drive:" + iso, cdData);
        try (SimulatedNode started = SimulatedNode.start(dataDir.resolve("cd-node"), "127.1.2.1",
                Files.readString(fromDrive), SimulatedNode.profile("52:54:00:00:0c:01"))) {
            say("      cd-node: channel config-drive, an ISO 9660 image labelled config-2 (" + d.bytes() + " bytes);"
                    + " its agent (--bootstrap config-drive:IMAGE here; on a machine it finds the drive by label)"
                    + " read the payload with isoinfo, checked it and started ("
                    + started.agent().status().identity() + ", waiting to be enrolled)");
        }
        out.put("cd-node", "config-drive");

        api.post("/v1/nodes", Map.of("name", "serial-node", "macs", List.of("52:54:00:00:0c:02")));
        Path ctl = dataDir.resolve("tty-controller");
        Path node = dataDir.resolve("tty-node");
        Process socat = new ProcessBuilder("socat", "pty,raw,echo=0,link=" + ctl, "pty,raw,echo=0,link=" + node)
                .redirectErrorStream(true).redirectOutput(dataDir.resolve("socat.log").toFile()).start();
        try {
            awaitTrue(() -> Files.exists(ctl) && Files.exists(node));
            Path serialData = dataDir.resolve("serial-node").resolve("agent-data");
            var agentSide = java.util.concurrent.CompletableFuture.supplyAsync(() ->
                    BootstrapSource.fetch("serial:" + node, serialData));
            java.io.PrintStream stdout = System.out;
            java.io.PrintStream stderr = System.err;
            int code;
            try {
                System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
                System.setErr(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
                code = Main.run("serial-enroll", "serial-node", "--device", ctl.toString(), "--data-dir",
                        dataDir.resolve("controller").toString());
            } finally {
                System.setOut(stdout);
                System.setErr(stderr);
            }
            Path kept = agentSide.get(60, java.util.concurrent.TimeUnit.SECONDS);
            if (code != 0) {
                throw new CliException("serial-enroll failed: this is a bug");
            }
            JsonNode cert = api.get(NodeCommand.path("serial-node") + "/certificates").path("items").get(0);
            try (SimulatedNode started = SimulatedNode.start(dataDir.resolve("serial-node"), "127.1.2.2",
                    Files.readString(kept), SimulatedNode.profile("52:54:00:00:0c:02"))) {
                say("      serial-node: channel serial (drawbridge serial-enroll, agent --bootstrap serial:DEV) over a"
                        + " pty pair with no IP path: payload down, CSR up, certificate serial "
                        + cert.path("serial").asText() + " down; its agent starts "
                        + started.agent().status().identity());
            }
            out.put("serial-node", "serial");
        } finally {
            socat.destroyForcibly();
        }
        return out;
    }

    /** Waits until DNS-SD discovery heard every node's agent, and shows what each matched. */
    private void discovery(List<String> names) throws InterruptedException {
        say("      discovery: each agent announces _drawbridge._tcp by mDNS (on loopback here); the controller"
                + " records and matches ...");
        Map<String, String> ids = new HashMap<>();
        for (String n : names) {
            ids.put(api.get(NodeCommand.path(n)).path("id").asText(), n);
        }
        awaitTrue(() -> {
            int matched = 0;
            for (JsonNode d : api.get("/v1/discovered").path("items")) {
                if (ids.containsKey(d.path("id").asText()) && d.path("node").isTextual()) {
                    matched++;
                }
            }
            return matched == ids.size();
        });
        for (JsonNode d : api.get("/v1/discovered").path("items")) {
            if (ids.containsKey(d.path("id").asText())) {
                say("      heard " + d.path("instance").asText() + ": role " + d.path("role").asText() + ", key "
                        + d.path("fingerprint").asText().substring(0, 16) + "..., matched to node "
                        + d.path("node").asText() + " by " + d.path("matched_by").asText()
                        + " (discovered, not trusted: enrollment decides)");
            }
        }
    }

    /**
     * An agent in the chassis-bmc role: enrolled by the conductor like any node, it registers with the controller and
     * calls its peer API, the controller calls the BMC's; once the BMC is fenced its calls are refused.
     */
    private Map<String, Object> chassisBmc(Controller first) throws Exception {
        String name = "chassis-bmc-1";
        String mac = "52:54:00:00:0b:01";
        api.post("/v1/nodes", Map.of("name", name, "macs", List.of(mac)));
        String payload = api.post(NodeCommand.path(name) + "/payload", Map.of("mode", "poll")).path("payload").asText();
        try (SimulatedNode bmc = SimulatedNode.start(dataDir.resolve(name), "127.1.1.1", payload,
                SimulatedNode.profile(mac), "software", "", c -> c.withPeering(new AgentConfig.Peering("chassis-bmc", Optional.empty(),
                        Optional.of(first.url()), Duration.ofHours(1))))) {
            api.patch(NodeCommand.path(name), Map.of("agent_address", bmc.address(), "labels",
                    Map.of("root-device", bmc.disk().toString())));
            say("      a chassis BMC (drawbridge agent --role chassis-bmc) at https://" + bmc.address()
                    + ": the conductor enrolls it like a node ...");
            api.post(NodeCommand.path(name) + "/actions", Map.of("action", "manage"));
            awaitTrue(() -> api.get(NodeCommand.path(name)).path("state").asText().equals("manageable"));
            PeerOutcome up = bmc.agent().peerCall(true).orElseThrow();
            say("      the BMC registered with the controller (tls_client_auth, its node certificate) and called its"
                    + " peer API: " + up.status() + ", role " + ((Map<?, ?>) up.answers().get("identity")).get("role"));
            JsonNode added = api.post("/v1/peers", Map.of("url", "https://" + bmc.address(), "ca",
                    Files.readString(first.dataDir().file("ca.pem"))));
            say("      the controller added the BMC as a peer: " + added.path("last_status").asText() + ", role "
                    + added.path("peer_role").asText() + " (mutual TLS, certificate-bound tokens both ways)");
            api.post("/v1/nodes/" + name + "/fence", Map.of("reason", "demo: a compromised BMC"));
            awaitTrue(() -> api.get(NodeCommand.path(name)).path("state").asText().equals("fenced"));
            PeerOutcome down = bmc.agent().peerCall(true).orElseThrow();
            say("      fenced: its OAuth client is disabled, and its next call is " + down.status() + ": "
                    + down.detail());
            if (!down.status().equals("refused")) {
                throw new IllegalStateException("a fenced BMC's peer call was not refused: this is a bug");
            }
            return Map.of("name", name, "before_fence", up.status(), "after_fence", down.status());
        }
    }

    /** Another controller on loopback, without a conductor, with a trust policy file when one is given. */
    private Controller peer(String name, Path policy) {
        ControllerConfig cfg = ConfigLoader.load(Map.of()).withDataDir(dataDir.resolve(name).toString())
                .withListen("127.0.0.1:0");
        cfg = cfg.withConductor(cfg.conductor().withEnabled(false));
        if (Files.exists(policy)) {
            cfg = cfg.withTrust(new TrustConfig(policy.toString()));
        }
        return Controller.start(cfg, Clock.systemUTC());
    }

    private String nameOf(String nodeId) {
        return nodeId.isEmpty() ? "-" : api.get(NodeCommand.path(nodeId)).path("name").asText();
    }

    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        Instant end = Instant.now().plus(Duration.ofSeconds(60));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(end)) {
                throw new CliException("the demo waited 60 s for something that did not happen");
            }
            Thread.sleep(100);
        }
    }

    /** Starts an action on every node, prints each state and progress change, and waits for all to settle. */
    private void actAll(List<String> names, Map<String, String> action, String goal) throws InterruptedException {
        for (String n : names) {
            api.post(NodeCommand.path(n) + "/actions", action);
        }
        Instant end = Instant.now().plus(Duration.ofMinutes(5));
        while (Instant.now().isBefore(end)) {
            boolean settled = true;
            for (String n : names) {
                JsonNode node = api.get(NodeCommand.path(n));
                String line = WatchCommand.describe(node);
                if (!line.equals(shown.put(n, line))) {
                    say("      " + line);
                }
                String state = node.path("state").asText();
                if (state.equals("error")) {
                    throw new CliException(n + " went to error: " + node.path("reason").asText());
                }
                settled &= state.equals(goal);
            }
            if (settled) {
                return;
            }
            Thread.sleep(250);
        }
        throw new CliException("nodes did not reach " + goal + " within 5 minutes");
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
