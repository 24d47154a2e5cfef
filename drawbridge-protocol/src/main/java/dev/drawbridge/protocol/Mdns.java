package dev.drawbridge.protocol;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.jmdns.JmDNS;
import javax.jmdns.ServiceEvent;
import javax.jmdns.ServiceInfo;
import javax.jmdns.ServiceListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Multicast DNS service discovery (RFC 6762, 6763) for {@code _drawbridge._tcp}, on JmDNS: one responder per local
 * address (IPv4, IPv6 link-local and ULA alike), each announcing the same service with the addresses of its own
 * family and scope, and each browsing. What it hears is handed to a {@link Listener} as a {@link Sighting}; parsing
 * the TXT record is the listener's business.
 */
public final class Mdns implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Mdns.class);

    /** A resolved service: its instance name, TXT record, addresses and port, and the local address that heard it. */
    public record Sighting(String instance, Map<String, String> txt, List<InetAddress> addresses, int port,
                           InetAddress heardOn) {
        public Sighting {
            txt = Collections.unmodifiableMap(new LinkedHashMap<>(txt));
            addresses = List.copyOf(addresses);
        }
    }

    /** Receives what the responders hear. Called on JmDNS's threads: be quick. */
    @FunctionalInterface
    public interface Listener {
        void seen(Sighting sighting);
    }

    private final List<JmDNS> responders;
    private final List<ServiceInfo> registered = new ArrayList<>();

    private Mdns(List<JmDNS> responders) {
        this.responders = responders;
    }

    /**
     * Opens a responder on each of {@code addresses}. The host name each one answers for is {@code hostName}.
     */
    public static Mdns open(List<InetAddress> addresses, String hostName) {
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("no address to run mDNS on: name an interface that is up and has one");
        }
        List<JmDNS> list = new ArrayList<>();
        try {
            for (InetAddress a : addresses) {
                list.add(JmDNS.create(a, hostName));
            }
        } catch (IOException e) {
            list.forEach(Mdns::closeQuietly);
            throw new IllegalStateException("cannot start mDNS: " + e.getMessage(), e);
        }
        LOG.info("mDNS on {}", addresses);
        return new Mdns(list);
    }

    /**
     * The addresses to run on: for each entry of {@code interfaces}, an interface name (all its addresses) or a
     * literal address. Empty means every interface that is up, not loopback, and multicast-capable.
     */
    public static List<InetAddress> addresses(List<String> interfaces) {
        Set<InetAddress> out = new LinkedHashSet<>();
        try {
            if (interfaces.isEmpty()) {
                for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                    if (ni.isUp() && !ni.isLoopback() && ni.supportsMulticast()) {
                        out.addAll(usable(ni.getInetAddresses()));
                    }
                }
            }
            for (String entry : interfaces) {
                NetworkInterface ni = NetworkInterface.getByName(entry);
                if (ni != null) {
                    if (!ni.isUp()) {
                        throw new IllegalArgumentException("interface " + entry + " is down");
                    }
                    out.addAll(usable(ni.getInetAddresses()));
                } else {
                    InetAddress a = literal(entry);
                    out.add(a);
                }
            }
        } catch (SocketException e) {
            throw new IllegalStateException("cannot list network interfaces: " + e.getMessage(), e);
        }
        return List.copyOf(out);
    }

    private static InetAddress literal(String entry) {
        if (!entry.matches("[0-9a-fA-F:.%]+[0-9A-Za-z]*") || !(entry.contains(".") || entry.contains(":"))) {
            throw new IllegalArgumentException("'" + entry + "' is neither an interface here nor an address");
        }
        try {
            return InetAddress.getByName(entry);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + entry + "' is neither an interface here nor an address");
        }
    }

    private static List<InetAddress> usable(Enumeration<InetAddress> all) {
        List<InetAddress> out = new ArrayList<>();
        for (InetAddress a : Collections.list(all)) {
            if (a instanceof Inet4Address || a instanceof Inet6Address) {
                out.add(a);
            }
        }
        return out;
    }

    /** Announces {@code instance} on {@code port} with {@code announcement}'s TXT record, on every responder. */
    public synchronized void announce(String instance, int port, Announcement announcement) {
        for (JmDNS j : responders) {
            ServiceInfo info = ServiceInfo.create(Announcement.SERVICE_TYPE, instance, port, 0, 0,
                    announcement.txt());
            try {
                j.registerService(info);
                registered.add(info);
            } catch (IOException e) {
                throw new IllegalStateException("cannot announce on " + address(j) + ": " + e.getMessage(), e);
            }
        }
    }

    /** Announces a changed TXT record (a new key) for every service announced. */
    public synchronized void update(Announcement announcement) {
        for (ServiceInfo info : registered) {
            info.setText(announcement.txt());
        }
    }

    /** Browses {@code _drawbridge._tcp} on every responder; each resolved instance goes to {@code listener}. */
    public void browse(Listener listener) {
        for (JmDNS j : responders) {
            InetAddress local = address(j);
            j.addServiceListener(Announcement.SERVICE_TYPE, new ServiceListener() {
                @Override
                public void serviceAdded(ServiceEvent e) {
                    e.getDNS().requestServiceInfo(e.getType(), e.getName());
                }

                @Override
                public void serviceRemoved(ServiceEvent e) {
                    LOG.debug("mDNS: {} said goodbye", e.getName());
                }

                @Override
                public void serviceResolved(ServiceEvent e) {
                    ServiceInfo info = e.getInfo();
                    Map<String, String> txt = new LinkedHashMap<>();
                    for (String key : Collections.list(info.getPropertyNames())) {
                        String v = info.getPropertyString(key);
                        txt.put(key, v == null ? "" : v);
                    }
                    if (txt.isEmpty()) {
                        return; // resolved before its TXT record arrived; the next resolution carries it
                    }
                    List<InetAddress> addrs = new ArrayList<>(List.of(info.getInetAddresses()));
                    listener.seen(new Sighting(info.getName(), txt, addrs, info.getPort(), local));
                }
            });
        }
    }

    private static InetAddress address(JmDNS j) {
        try {
            return j.getInetAddress();
        } catch (IOException e) {
            return InetAddress.getLoopbackAddress();
        }
    }

    @Override
    public synchronized void close() {
        responders.forEach(Mdns::closeQuietly);
    }

    private static void closeQuietly(JmDNS j) {
        try {
            j.unregisterAllServices();
            j.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing mDNS: {}", e.getMessage());
        }
    }
}
