package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.controller.Controller;
import dev.drawbridge.controller.config.ConfigLoader;
import dev.drawbridge.controller.config.ControllerConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/** A controller with fast polling plus simulated nodes, for end-to-end lifecycle tests. */
final class Fleet implements AutoCloseable {
    final Controller controller;
    final ApiClient api;
    final List<SimulatedNode> nodes = new ArrayList<>();
    final Path dir;

    Fleet(Path dir) {
        this(dir, "127.0.0.1:0");
    }

    Fleet(Path dir, String listen) {
        this(dir, listen, Duration.ofMinutes(60));
    }

    Fleet(Path dir, String listen, Duration deployDeadline) {
        this(dir, listen, deployDeadline, "none");
    }

    Fleet(Path dir, String listen, Duration deployDeadline, String powerDriver) {
        this(dir, listen, deployDeadline, powerDriver, 0);
    }

    Fleet(Path dir, String listen, Duration deployDeadline, String powerDriver, int fenceUnreachableAfter) {
        this(dir, listen, deployDeadline, powerDriver, fenceUnreachableAfter, c -> c);
    }

    Fleet(Path dir, String listen, Duration deployDeadline, String powerDriver, int fenceUnreachableAfter,
          UnaryOperator<ControllerConfig> extra) {
        this.dir = dir;
        ControllerConfig cfg = ConfigLoader.load(Map.of()).withDataDir(dir.resolve("ctl").toString())
                .withListen(listen);
        cfg = cfg.withConductor(cfg.conductor().withPollInterval(Duration.ofMillis(500))
                .withBusyPollInterval(Duration.ofMillis(100)).withDeployingDeadline(deployDeadline))
                .withFencing(cfg.fencing().withPowerDriver(powerDriver).withUnreachableAfter(fenceUnreachableAfter));
        cfg = extra.apply(cfg);
        controller = Controller.start(cfg, Clock.systemUTC());
        api = ApiClient.from(controller.dataDir().root(), Map.of());
    }

    /** Adds a node to inventory expecting {@code expectedMac}, and starts its agent reporting {@code actualMac}. */
    SimulatedNode add(String name, String expectedMac, String actualMac) {
        api.post("/v1/nodes", Map.of("name", name, "macs", List.of(expectedMac)));
        String payload = api.post(NodeCommand.path(name) + "/payload", Map.of("mode", "poll")).path("payload").asText();
        SimulatedNode node = SimulatedNode.start(dir.resolve(name), "127.0.0.1", payload, SimulatedNode.profile(actualMac));
        nodes.add(node);
        api.patch(NodeCommand.path(name), Map.of("agent_address", node.address(), "labels",
                Map.of("root-device", node.disk().toString())));
        return node;
    }

    /** Like {@link #add}, with the agent on a real TPM reached through tpm2-tools, and a BMC address. */
    SimulatedNode addWithTpm(String name, String mac, String tcti, long memoryBytes, String bmcAddress) {
        api.post("/v1/nodes", Map.of("name", name, "macs", List.of(mac), "bmc_address", bmcAddress));
        String payload = api.post(NodeCommand.path(name) + "/payload", Map.of("mode", "poll")).path("payload").asText();
        SimulatedNode node = SimulatedNode.start(dir.resolve(name), "127.0.0.1", payload,
                SimulatedNode.profile(mac, memoryBytes), "tpm2-tools", tcti);
        nodes.add(node);
        api.patch(NodeCommand.path(name), Map.of("agent_address", node.address(), "labels",
                Map.of("root-device", node.disk().toString())));
        return node;
    }

    JsonNode act(String name, Map<String, String> body) {
        return api.post(NodeCommand.path(name) + "/actions", body);
    }

    JsonNode await(String name, Predicate<JsonNode> done, Duration timeout) throws InterruptedException {
        Instant end = Instant.now().plus(timeout);
        JsonNode n = api.get(NodeCommand.path(name));
        while (!done.test(n)) {
            if (Instant.now().isAfter(end)) {
                throw new AssertionError("timed out waiting for " + name + "; last seen: " + n);
            }
            Thread.sleep(100);
            n = api.get(NodeCommand.path(name));
        }
        return n;
    }

    JsonNode awaitState(String name, String state) throws InterruptedException {
        return await(name, n -> n.path("state").asText().equals(state) || n.path("state").asText().equals("error")
                && !state.equals("error"), Duration.ofSeconds(60));
    }

    @Override
    public void close() {
        nodes.forEach(SimulatedNode::close);
        controller.close();
    }
}
