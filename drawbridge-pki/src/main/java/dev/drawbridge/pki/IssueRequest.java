package dev.drawbridge.pki;

import java.security.PublicKey;
import java.util.List;

/**
 * What the CA puts in a certificate. The subject and SANs come from inventory, never from the CSR;
 * only {@code publicKey} comes from the requester.
 */
public record IssueRequest(Profile profile, String commonName, List<String> dnsNames, List<String> ipAddresses,
                           PublicKey publicKey) {
    public IssueRequest {
        dnsNames = List.copyOf(dnsNames);
        ipAddresses = List.copyOf(ipAddresses);
    }
}
