package dev.drawbridge.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.pki.Jws;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.protocol.BootstrapPayload;
import dev.drawbridge.protocol.Causes;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;

/**
 * Reads and verifies the bootstrap payload. The root it carries is the trust anchor, so the check proves only
 * that the payload is whole and was signed by the key of the root it names; that the root is the right one is
 * settled by how the payload reached the node (config drive, virtual media, an operator's hand).
 */
final class Payloads {
    private Payloads() {}

    record Verified(BootstrapPayload payload, X509Certificate root) {}

    static Verified read(Path file) {
        String compact;
        try {
            compact = Files.readString(file);
        } catch (IOException e) {
            throw new AgentException("cannot read bootstrap payload " + file + ": " + e.getMessage(), e);
        }
        return parse(compact, file);
    }

    /** Checks a compact JWS payload; {@code file} names where it came from in the refusal. */
    static Verified parse(String compact, Path file) {
        String claimed = Jws.unverifiedPayload(compact)
                .orElseThrow(() -> refuse(file, "it is not a compact JWS"));
        X509Certificate root;
        try {
            JsonNode tree = Wire.JSON.readTree(claimed);
            if (tree.path("v").asInt(-1) != BootstrapPayload.VERSION) {
                throw refuse(file, "its version \"v\" is not " + BootstrapPayload.VERSION);
            }
            root = Pem.certificate(tree.path("root_ca").asText(""));
        } catch (IOException | RuntimeException e) {
            if (e instanceof AgentException a) {
                throw a;
            }
            throw refuse(file, "its root_ca is not one PEM certificate (" + e.getMessage() + ")");
        }
        String json = Jws.verify(compact, root)
                .orElseThrow(() -> refuse(file, "its signature does not verify with the root it carries"));
        try {
            return new Verified(Wire.JSON.readValue(json, BootstrapPayload.class), root);
        } catch (IOException | RuntimeException e) {
            throw refuse(file, "its fields are malformed (" + rootMessage(e) + ")");
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = Causes.root(e);
        String m = t.getMessage() == null ? t.toString() : t.getMessage();
        return m.lines().findFirst().orElse(m);
    }

    private static AgentException refuse(Path file, String why) {
        return new AgentException("refusing to start: bootstrap payload " + file + " is not valid: " + why);
    }
}
