package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.protocol.HardwareInfo;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code drawbridge simulate}: a fleet of simulated nodes in one JVM, registered with a running controller. Each
 * node is a real agent (real HTTPS, its own TLS key, hardware profile and software TPM) on its own loopback
 * address; the controller polls them exactly as it would real machines.
 */
@Command(name = "simulate", description = {
        "Run N simulated nodes (agents on 127.x loopback addresses, each with its own TLS key and TPM) against a running controller.",
        "",
        "Misbehaviour on command: append lines to SIM-DIR/control (or type them on stdin):",
        "  drift NODE [PCR]   extend a PCR (default 7) of NODE's TPM, as a changed boot component would",
        "  silence NODE       NODE stops answering: connections are accepted and held, nothing is answered",
        "  answer NODE        NODE answers again",
        "  slow NODE MS       NODE holds every answer back by MS milliseconds (0: normal)",
        "  status             print each node's fault state",
        "NODE is a node name or 'all'. SIM-DIR/fleet.json lists the nodes; SIM-DIR/ready appears once they",
        "have reached the --drive goal."})
final class SimulateCommand implements Callable<Integer> {
    @Mixin Target target;
    @Option(names = "--nodes", required = true, description = "How many simulated nodes.") int count;
    @Option(names = "--first-address", defaultValue = "127.1.0.1", description = "Loopback address of the first node; the others follow (127.0.0.0/8 needs no setup on Linux).") String firstAddress;
    @Option(names = "--profile", defaultValue = "small", description = "Hardware profile: small (2 CPUs, 4 GiB), large (64 CPUs, 512 GiB) or a HardwareInfo JSON file (its NICs get each node's MAC).") String profile;
    @Option(names = "--prefix", defaultValue = "sim-", description = "Node names are PREFIX00001, PREFIX00002, ...") String prefix;
    @Option(names = "--sim-dir", defaultValue = "drawbridge-sim", description = "Where the agents keep their data (wiped at start) and where the control file lives.") Path simDir;
    @Option(names = "--drive", defaultValue = "manageable", description = "Carry the nodes to: none, manageable or active.") String drive;
    @Option(names = "--parallel", defaultValue = "8", description = "Nodes started and registered at once.") int parallel;
    @Option(names = "--wave", defaultValue = "1000", description = "Nodes sent an action at once; the next wave starts when these reach the goal.") int wave;
    @Option(names = "--duration", description = "Stop after this many seconds once ready (default: run until Ctrl-C).") Long duration;

    private final Map<String, FleetNode> fleet = new ConcurrentHashMap<>();

    @Override
    public Integer call() throws Exception {
        if (count < 1 || count > 60_000) {
            throw new CliException("--nodes must be from 1 to 60000");
        }
        if (wave < 1) {
            throw new CliException("--wave must be at least 1");
        }
        if (!List.of("none", "manageable", "active").contains(drive)) {
            throw new CliException("--drive must be none, manageable or active");
        }
        Logging.configure("plain", "error");
        ApiClient api = target.client();
        wipe(simDir);
        Files.createDirectories(simDir);
        Path control = Files.writeString(simDir.resolve("control"), "");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> fleet.values().forEach(FleetNode::close)));
        List<String> names = start(api);
        write(simDir.resolve("fleet.json"), names.stream().map(n -> Map.of("name", n, "address", fleet.get(n).address()))
                .toList());
        if (drive.equals("manageable") || drive.equals("active")) {
            FleetDriver driver = new FleetDriver(api, prefix, wave, this::say);
            driver.act(names, Map.of("action", "manage"), "manageable");
            if (drive.equals("active")) {
                driver.act(names, Map.of("action", "provide"), "available");
                try (ImageServer images = new ImageServer("127.0.0.1", 64L << 20)) {
                    String sha = images.publishRandom("/images/sim-os.img", 1 << 20);
                    driver.act(names, Map.of("action", "deploy", "image_url", images.url("/images/sim-os.img"),
                            "image_sha256", sha), "active");
                }
            }
        }
        Files.writeString(simDir.resolve("ready"), Instant.now() + "\n");
        say("ready: " + names.size() + " nodes; control file " + control.toAbsolutePath());
        Instant end = duration == null ? Instant.MAX : Instant.now().plusSeconds(duration);
        FleetControl commands = new FleetControl(fleet, this::say);
        Thread.ofVirtual().name("stdin").start(commands::readStdin);
        commands.follow(control, end);
        return 0;
    }

    /** Creates each node in the controller, gets its payload, starts its agent and tells the controller where it is. */
    private List<String> start(ApiClient api) throws Exception {
        int base = toInt(InetAddress.getByName(firstAddress));
        List<String> names = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallel));
        List<Future<?>> started = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 1; i <= count; i++) {
            String name = String.format(Locale.ROOT, "%s%05d", prefix, i);
            String host = toAddress(base + i - 1);
            String mac = String.format(Locale.ROOT, "52:54:%02x:%02x:%02x:%02x", (i >> 24) & 0xff, (i >> 16) & 0xff,
                    (i >> 8) & 0xff, i & 0xff);
            names.add(name);
            started.add(pool.submit(() -> {
                api.post("/v1/nodes", Map.of("name", name, "macs", List.of(mac)));
                String payload = api.post(NodeCommand.path(name) + "/payload", Map.of("mode", "poll")).path("payload")
                        .asText();
                FleetNode node = FleetNode.start(simDir.resolve(name), name, host, payload, hardware(mac));
                fleet.put(name, node);
                api.patch(NodeCommand.path(name), Map.of("agent_address", node.address(),
                        "labels", Map.of("root-device", node.disk().toString())));
                return null;
            }));
        }
        pool.shutdown();
        int done = 0;
        for (Future<?> f : started) {
            f.get();
            if (++done % 100 == 0 || done == count) {
                say(String.format(Locale.ROOT, "started %d/%d agents (%.1f s)", done, count,
                        (System.nanoTime() - t0) / 1e9));
            }
        }
        return names;
    }

    private HardwareInfo hardware(String mac) {
        HardwareInfo.Nic nic = new HardwareInfo.Nic("eth0", mac);
        String serial = "SIM-" + mac.replace(":", "").toUpperCase(Locale.ROOT);
        List<HardwareInfo.Disk> disk = List.of(new HardwareInfo.Disk("vda", 64L << 20));
        return switch (profile) {
            case "small" -> new HardwareInfo(List.of(nic), UUID.randomUUID().toString(), serial, 2, 4L << 30, disk);
            case "large" -> new HardwareInfo(List.of(nic), UUID.randomUUID().toString(), serial, 64, 512L << 30, disk);
            default -> {
                try {
                    HardwareInfo t = Wire.JSON.readValue(Path.of(profile).toFile(), HardwareInfo.class);
                    yield new HardwareInfo(List.of(nic), UUID.randomUUID().toString(), serial, t.cpus(), t.memoryBytes(),
                            t.disks());
                } catch (IOException e) {
                    throw new CliException("cannot read --profile " + profile + ": " + e.getMessage());
                }
            }
        };
    }

    private static int toInt(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length != 4 || (b[0] & 0xff) != 127) {
            throw new CliException("--first-address must be an IPv4 loopback address (127.x.y.z)");
        }
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    private static String toAddress(int v) throws UnknownHostException {
        if ((v >>> 24) != 127) {
            throw new CliException("the fleet runs past 127.255.255.255: choose a lower --first-address");
        }
        return (v >>> 24) + "." + ((v >> 16) & 0xff) + "." + ((v >> 8) & 0xff) + "." + (v & 0xff);
    }

    private static void write(Path file, Object value) throws IOException {
        Wire.JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), value);
    }

    private void say(String line) {
        System.out.println(line);
        System.out.flush();
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

    /**
     * Carries every node through an action in waves of {@code wave} nodes (as an operator would: each node's
     * deadline runs from its action, so ten thousand at once on a small controller would time out at the back of
     * the queue), printing state counts as they change.
     */
    record FleetDriver(ApiClient api, String prefix, int wave, Consumer<String> say) {
        void act(List<String> names, Map<String, String> action, String goal) throws InterruptedException {
            long t0 = System.nanoTime();
            Instant end = Instant.now().plus(Duration.ofMinutes(60));
            String last = "";
            for (int from = 0; from < names.size(); from += wave) {
                List<String> batch = names.subList(from, Math.min(names.size(), from + wave));
                send(batch, action);
                int goalCount = from + batch.size();
                say.accept(String.format(Locale.ROOT, "  %6.1f s  %s sent to nodes %d-%d of %d",
                        (System.nanoTime() - t0) / 1e9, action.get("action"), from + 1, goalCount, names.size()));
                while (true) {
                    if (Instant.now().isAfter(end)) {
                        throw new CliException("nodes did not reach " + goal + " within 60 minutes");
                    }
                    Map<String, Integer> states = states();
                    String line = states.toString();
                    if (!line.equals(last)) {
                        say.accept(String.format(Locale.ROOT, "  %6.1f s  %s", (System.nanoTime() - t0) / 1e9, line));
                        last = line;
                    }
                    if (states.getOrDefault("error", 0) > 0) {
                        throw new CliException(states.get("error")
                                + " nodes went to error; see drawbridge node list --state error");
                    }
                    if (states.getOrDefault(goal, 0) >= goalCount) {
                        break;
                    }
                    Thread.sleep(2000);
                }
            }
        }

        /** Sends the action to each node, eight at a time (each is one transaction with its audit event). */
        private void send(List<String> batch, Map<String, String> action) {
            try (var pool = Executors.newFixedThreadPool(8)) {
                List<Future<?>> sent = new ArrayList<>();
                for (String n : batch) {
                    sent.add(pool.submit(() -> api.post(NodeCommand.path(n) + "/actions", action)));
                }
                for (Future<?> f : sent) {
                    try {
                        f.get();
                    } catch (ExecutionException e) {
                        throw e.getCause() instanceof RuntimeException r ? r : new CliException(e.getCause().toString());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new CliException("interrupted while sending " + action.get("action"));
                    }
                }
            }
        }

        /** How many of the fleet's nodes are in each state. */
        Map<String, Integer> states() {
            Map<String, Integer> out = new TreeMap<>();
            String after = null;
            do {
                JsonNode page = api.get("/v1/nodes?limit=1000" + (after == null ? "" : "&after=" + after));
                for (JsonNode n : page.path("items")) {
                    if (n.path("name").asText().startsWith(prefix)) {
                        out.merge(n.path("state").asText(), 1, Integer::sum);
                    }
                }
                after = page.path("next").isTextual() ? page.path("next").asText() : null;
            } while (after != null);
            return Collections.unmodifiableMap(out);
        }
    }
}
