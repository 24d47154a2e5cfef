package dev.drawbridge.pki;

import java.security.PublicKey;
import java.util.List;

/** A PKCS#10 request whose signature and key strength have been checked. */
public record CsrRequest(String subjectCommonName, List<String> dnsNames, List<String> ipAddresses,
                         PublicKey publicKey, byte[] der) {
    public CsrRequest {
        dnsNames = List.copyOf(dnsNames);
        ipAddresses = List.copyOf(ipAddresses);
    }
}
