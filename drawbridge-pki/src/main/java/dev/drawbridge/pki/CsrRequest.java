package dev.drawbridge.pki;

import java.security.PublicKey;
import java.util.List;

/**
 * A PKCS#10 request whose signature and key strength have been checked. {@code otherNames} lists the kind of each
 * subjectAltName that is neither a DNS name nor an IP address (e.g. {@code rfc822Name}), so a profile that takes
 * only some kinds can refuse the rest instead of dropping them silently.
 */
public record CsrRequest(String subjectCommonName, List<String> dnsNames, List<String> ipAddresses,
                         List<String> otherNames, PublicKey publicKey, byte[] der) {
    public CsrRequest {
        dnsNames = List.copyOf(dnsNames);
        ipAddresses = List.copyOf(ipAddresses);
        otherNames = List.copyOf(otherNames);
    }

    /** How many subjectAltNames the request asks for, of every kind. */
    public int altNameCount() {
        return dnsNames.size() + ipAddresses.size() + otherNames.size();
    }
}
