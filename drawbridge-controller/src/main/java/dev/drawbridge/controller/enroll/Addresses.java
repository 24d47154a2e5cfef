package dev.drawbridge.controller.enroll;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/** Host parts of {@code host:port} strings, kept only when they are IP literals. */
final class Addresses {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private Addresses() {}

    static Optional<String> ipLiteralHost(String hostPort) {
        String host = hostPort;
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            if (end < 0) {
                return Optional.empty();
            }
            host = host.substring(1, end);
        } else if (host.chars().filter(c -> c == ':').count() == 1) {
            host = host.substring(0, host.indexOf(':'));
        }
        if (!IPV4.matcher(host).matches() && !host.contains(":")) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(host).getHostAddress());
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }
}
