package dev.drawbridge.oauth;

import java.net.InetAddress;
import java.security.cert.X509Certificate;
import java.util.List;

/** The other end of a request, as the TLS layer saw it: its address and its client certificate chain, leaf first. */
public record Peer(InetAddress address, List<X509Certificate> certificate) {
    public Peer {
        certificate = List.copyOf(certificate);
    }
}
