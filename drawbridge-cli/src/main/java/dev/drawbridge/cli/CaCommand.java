package dev.drawbridge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code drawbridge ca ...}: the private CA's root and revocation. */
@Command(name = "ca", description = "The private CA: root certificate and revocation.",
        subcommands = {CaCommand.Revoke.class, CaCommand.Root.class})
final class CaCommand {
    @Command(name = "revoke", description = "Revoke a certificate by serial, or all of a node's with --node. "
            + "CRL and OCSP say revoked at once.")
    static final class Revoke implements Callable<Integer> {
        @Mixin Target target;
        @Parameters(paramLabel = "SERIAL", arity = "0..1", description = "Hex serial, as 'openssl x509 -serial' prints it.") String serial;
        @Option(names = "--node", description = "Revoke every certificate of this node.") String node;
        @Option(names = "--reason", defaultValue = "unspecified",
                description = "unspecified, key-compromise, superseded or cessation-of-operation.") String reason;

        @Override
        public Integer call() {
            if ((serial == null) == (node == null)) {
                throw new CliException("give either a SERIAL or --node NAME");
            }
            ObjectNode body = ApiClient.JSON.createObjectNode().put("reason", reason);
            JsonNode r = serial != null
                    ? target.client().post("/v1/certificates/" + serial + "/revoke", body)
                    : target.client().post(NodeCommand.path(node) + "/certificates/revoke", body);
            if (target.json) {
                Out.json(r);
            } else if (serial != null) {
                System.out.println("revoked certificate " + r.path("serial").asText() + " at " + r.path("revoked_at").asText());
            } else {
                System.out.println("revoked " + r.path("revoked").size() + " certificate(s) of " + node + ": "
                        + r.path("revoked"));
            }
            return 0;
        }
    }

    @Command(name = "root", description = "Print the root CA certificate (PEM).")
    static final class Root implements Callable<Integer> {
        @Mixin Target target;

        @Override
        public Integer call() {
            String pem = new String(target.client().getBytes("/v1/ca/root"), StandardCharsets.US_ASCII);
            if (target.json) {
                Out.json(Map.of("certificate", pem));
            } else {
                System.out.print(pem);
            }
            return 0;
        }
    }
}
