package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drawbridge.pki.Jws;
import dev.drawbridge.protocol.SerialLink;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code drawbridge serial-enroll NAME --device /dev/ttyS1}: the serial bootstrap channel from the controller's side.
 * The node's agent ({@code --bootstrap serial:/dev/ttyS0}) needs no IP path to the controller: the payload goes down
 * the line, the agent's CSR comes back up and is enrolled here with the payload's ticket ({@code POST /v1/enroll},
 * which signs only a CSR for the injected identity), and the certificate goes down again.
 */
@Command(name = "serial-enroll", description = "Enroll a node over its serial console: the payload down, its CSR up,"
        + " the certificate down. The node's agent runs with --bootstrap serial:DEVICE.")
final class SerialEnrollCommand implements Callable<Integer> {
    @Mixin Target target;
    @Parameters(paramLabel = "NAME", description = "The node, as named in inventory.") String name;
    @Option(names = "--device", required = true, description = "The serial device wired to the node's console (a"
            + " tty, or a console server's pty).") Path device;
    @Option(names = "--ack-timeout", defaultValue = "2", description = "Seconds to wait for each acknowledgement"
            + " before sending again (default ${DEFAULT-VALUE}).") int ackTimeout;
    @Option(names = "--tries", defaultValue = "10", description = "How many times one message is sent at most"
            + " (default ${DEFAULT-VALUE}).") int tries;

    @Override
    public Integer call() throws IOException {
        if (!Files.exists(device)) {
            throw new CliException("no serial device " + device);
        }
        if (ackTimeout < 1 || ackTimeout > 60 || tries < 1 || tries > 100) {
            throw new CliException("--ack-timeout must be 1 to 60 s and --tries 1 to 100");
        }
        ApiClient api = target.client();
        String payload = api.post(NodeCommand.path(name) + "/payload", Map.of("mode", "poll")).path("payload").asText();
        String ticket = Wire.JSON.readTree(Jws.unverifiedPayload(payload).orElseThrow(() ->
                new CliException("the controller's payload is not a compact JWS"))).path("ticket").asText();
        SerialLink.rawMode(device);
        try (InputStream in = Files.newInputStream(device);
             OutputStream out = Files.newOutputStream(device, StandardOpenOption.WRITE);
             SerialLink link = new SerialLink(in, out, Duration.ofSeconds(ackTimeout), tries)) {
            progress("sending the bootstrap payload (" + payload.length() + " bytes) to " + device);
            link.send(SerialLink.Type.PAYLOAD, payload.getBytes(StandardCharsets.UTF_8));
            SerialLink.Message csr = link.receive(Duration.ofMinutes(2));
            if (csr.type() == SerialLink.Type.ERROR) {
                throw new CliException("the node refused the payload: " + csr.text());
            }
            if (csr.type() != SerialLink.Type.CSR) {
                throw new CliException("the node sent " + csr.type() + " where its CSR was expected");
            }
            progress("got the node's CSR; enrolling it with the payload's ticket");
            JsonNode enrolled;
            try {
                enrolled = api.post("/v1/enroll", Map.of("ticket", ticket, "csr", csr.text()));
            } catch (CliException e) {
                link.send(SerialLink.Type.ERROR, e.getMessage().getBytes(StandardCharsets.UTF_8));
                throw e;
            }
            ObjectNode cert = ApiClient.JSON.createObjectNode().put("certificate", enrolled.path("certificate").asText());
            cert.set("chain", enrolled.path("chain"));
            link.send(SerialLink.Type.CERT, Wire.JSON.writeValueAsBytes(cert));
            SerialLink.Message done = link.receive(Duration.ofMinutes(1));
            if (done.type() != SerialLink.Type.DONE) {
                throw new CliException("the node did not take the certificate: " + done.text());
            }
            if (target.json) {
                Out.json(ApiClient.JSON.createObjectNode().put("node", name).put("channel", "serial")
                        .put("serial", enrolled.path("serial").asText()).put("payload_bytes", payload.length())
                        .put("retransmissions", link.retransmissions()));
            } else {
                System.out.println("enrolled " + name + " over " + device + ": certificate serial "
                        + enrolled.path("serial").asText() + " (" + link.retransmissions() + " frames sent again)");
            }
            return 0;
        }
    }

    private void progress(String line) {
        if (!target.json) {
            System.err.println("serial-enroll: " + line);
        }
    }
}
