package dev.drawbridge.agent;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The last {@link #KEEP} requests the agent obeyed: when, and the SHA-256 of the controller certificate that made
 * each. Each controller run has its own certificate, so this shows which controller drove the node and when: an
 * operator's record after a failover, and what the cluster tests check for overlap. In memory only.
 */
public final class Contacts {
    public static final int KEEP = 4096;

    /**
     * One obeyed request: when it arrived, the controller certificate's SHA-256 (hex), the claim epoch it carried
     * (0: none, an unclustered controller) and the request line.
     */
    public record Contact(Instant at, String controller, long epoch, String request) {}

    private final ArrayDeque<Contact> recent = new ArrayDeque<>();
    private final Clock clock;

    Contacts(Clock clock) {
        this.clock = clock;
    }

    void record(List<Certificate> peer, long epoch, String method, String path) {
        if (peer.isEmpty()) {
            return;
        }
        String fp;
        try {
            fp = java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(peer.get(0).getEncoded()));
        } catch (CertificateEncodingException | NoSuchAlgorithmException e) {
            fp = "unreadable";
        }
        Contact c = new Contact(clock.instant(), fp, epoch, method + " " + CommandParser.abbreviate(path));
        synchronized (recent) {
            if (recent.size() == KEEP) {
                recent.removeFirst();
            }
            recent.addLast(c);
        }
    }

    /** The recorded contacts, oldest first. */
    public List<Contact> list() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }
}
