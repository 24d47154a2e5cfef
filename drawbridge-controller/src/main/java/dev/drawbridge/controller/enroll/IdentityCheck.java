package dev.drawbridge.controller.enroll;

import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.pki.CsrRequest;
import java.util.List;
import java.util.Optional;

/**
 * Decides whether a CSR asks for exactly the identity inventory holds for a node: subject CN equal to
 * the node's name, DNS SANs only among the node's names, IP SANs only the node's agent address. Pure.
 */
final class IdentityCheck {
    private IdentityCheck() {}

    /** The first mismatch, in words, or empty when the CSR asks for this node's identity. */
    static Optional<String> mismatch(CsrRequest csr, Node node) {
        if (!csr.otherNames().isEmpty()) {
            return Optional.of("the CSR asks for subjectAltNames of kinds " + csr.otherNames() + "; a node certificate"
                    + " carries only the node's DNS name and its agent's IP address");
        }
        if (!csr.subjectCommonName().equals(node.name())) {
            return Optional.of("the CSR's subject CN '" + csr.subjectCommonName() + "' is not the node's name '"
                    + node.name() + "'");
        }
        List<String> names = dnsNames(node);
        for (String dns : csr.dnsNames()) {
            if (!names.contains(dns)) {
                return Optional.of("the CSR asks for DNS name '" + dns + "', which is not one of the node's names "
                        + names);
            }
        }
        List<String> ips = ipAddresses(node);
        for (String ip : csr.ipAddresses()) {
            if (!ips.contains(ip)) {
                return Optional.of("the CSR asks for IP address '" + ip + "', which is not the node's agent address");
            }
        }
        return Optional.empty();
    }

    static List<String> dnsNames(Node node) {
        return List.of(node.name());
    }

    /** The agent address's host when it is an IP literal (brackets removed), for the certificate's IP SAN. */
    static List<String> ipAddresses(Node node) {
        return node.agentAddress().flatMap(Addresses::ipLiteralHost).stream().toList();
    }
}
