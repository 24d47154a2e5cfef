package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drawbridge.pki.Jws;
import dev.drawbridge.protocol.SerialLink;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
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
 * {@code drawbridge serial-enroll NAME --device /dev/ttyS1} (or {@code --console HOST:PORT}, a console server's raw
 * TCP port for the node's line): the serial bootstrap channel from the controller's side.
 * The node's agent ({@code --bootstrap serial:/dev/ttyS0}) needs no IP path to the controller: the payload goes down
 * the line, the agent's CSR comes back up and is enrolled here with the payload's ticket ({@code POST /v1/enroll},
 * which signs only a CSR for the injected identity), and the certificate goes down again.
 */
@Command(name = "serial-enroll", description = "Enroll a node over its serial console: the payload down, its CSR up,"
        + " the certificate down. The node's agent runs with --bootstrap serial:DEVICE.")
final class SerialEnrollCommand implements Callable<Integer> {
    @Mixin Target target;
    @Parameters(paramLabel = "NAME", description = "The node, as named in inventory.") String name;
    @Option(names = "--device", description = "The serial device wired to the node's console (a tty, or a console"
            + " server's pty).") Path device;
    @Option(names = "--console", description = "A console server's raw TCP port for the node's serial line, HOST:PORT"
            + " or [V6]:PORT (ser2net's raw mode, socat), instead of --device. Use one on a management network or"
            + " through a tunnel: the line carries the node's CSR.") String console;
    @Option(names = "--ack-timeout", defaultValue = "2", description = "Seconds to wait for each acknowledgement"
            + " before sending again (default ${DEFAULT-VALUE}).") int ackTimeout;
    @Option(names = "--tries", defaultValue = "10", description = "How many times one message is sent at most"
            + " (default ${DEFAULT-VALUE}).") int tries;

    @Override
    public Integer call() throws IOException {
        if ((device == null) == (console == null)) {
            throw new CliException("give one of --device DEV (a serial device) or --console HOST:PORT (a console"
                    + " server)");
        }
        if (device != null && !Files.exists(device)) {
            throw new CliException("no serial device " + device);
        }
        InetSocketAddress server = console == null ? null : consoleAddress(console);
        if (ackTimeout < 1 || ackTimeout > 60 || tries < 1 || tries > 100) {
            throw new CliException("--ack-timeout must be 1 to 60 s and --tries 1 to 100");
        }
        ApiClient api = target.client();
        String payload = api.post(NodeCommand.path(name) + "/payload", Map.of("mode", "poll")).path("payload").asText();
        String ticket = Wire.JSON.readTree(Jws.unverifiedPayload(payload).orElseThrow(() ->
                new CliException("the controller's payload is not a compact JWS"))).path("ticket").asText();
        Socket socket = null;
        InputStream in;
        OutputStream out;
        String line;
        if (server != null) {
            socket = new Socket();
            try {
                socket.connect(server, 10_000);
            } catch (IOException e) {
                socket.close();
                throw new CliException("cannot reach the console server at " + console + ": " + e.getMessage()
                        + "; check its address and that its port is in raw mode");
            }
            socket.setTcpNoDelay(true);
            in = socket.getInputStream();
            out = socket.getOutputStream();
            line = "console server " + console;
        } else {
            SerialLink.rawMode(device);
            in = Files.newInputStream(device);
            out = Files.newOutputStream(device, StandardOpenOption.WRITE);
            line = device.toString();
        }
        try (Socket closeLast = socket; InputStream closeIn = in; OutputStream closeOut = out;
             SerialLink link = new SerialLink(in, out, Duration.ofSeconds(ackTimeout), tries)) {
            progress("sending the bootstrap payload (" + payload.length() + " bytes) to " + line);
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
                System.out.println("enrolled " + name + " over " + line + ": certificate serial "
                        + enrolled.path("serial").asText() + " (" + link.retransmissions() + " frames sent again)");
            }
            return 0;
        }
    }

    /** HOST:PORT or [V6]:PORT, port 1 to 65535. */
    static InetSocketAddress consoleAddress(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new CliException("--console must be HOST:PORT or [V6]:PORT, not '" + text + "'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new CliException("--console: write an IPv6 address in brackets, [V6]:PORT, not '" + text + "'");
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new CliException("--console: the port must be 1 to 65535, not '" + text.substring(colon + 1) + "'");
        }
        return new InetSocketAddress(host, port);
    }

    private void progress(String line) {
        if (!target.json) {
            System.err.println("serial-enroll: " + line);
        }
    }
}
