package dev.drawbridge.protocol;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * This machine's host name, as the kernel holds it. {@link InetAddress#getLocalHost()} also resolves the name, and
 * fails where it does not resolve: a management controller with no DNS and nothing in /etc/hosts for itself, which
 * is common, must still start.
 */
public final class HostName {
    private static final Path KERNEL = Path.of("/proc/sys/kernel/hostname");

    private HostName() {}

    /** The host name in lower case; {@code localhost} when there is none. */
    public static String local() {
        try {
            String name = Files.readString(KERNEL, StandardCharsets.US_ASCII).strip();
            if (!name.isEmpty()) {
                return name.toLowerCase(Locale.ROOT);
            }
        } catch (IOException | SecurityException e) {
            // not Linux: ask the resolver below
        }
        try {
            return InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
        } catch (IOException e) {
            return "localhost";
        }
    }
}
