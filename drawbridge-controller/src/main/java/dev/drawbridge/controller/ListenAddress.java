package dev.drawbridge.controller;

import dev.drawbridge.controller.config.ConfigException;
import java.net.InetSocketAddress;

/** Parses {@code HOST:PORT} and {@code [IPv6]:PORT} listen addresses; port 0 picks a free port. */
public final class ListenAddress {
    private ListenAddress() {}

    public static InetSocketAddress parse(String text) {
        String host;
        String port;
        if (text.startsWith("[")) {
            int end = text.indexOf("]:");
            if (end < 0) {
                throw bad(text);
            }
            host = text.substring(1, end);
            port = text.substring(end + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || text.indexOf(':') != colon) {
                throw bad(text);
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        try {
            int p = Integer.parseInt(port);
            if (p < 0 || p > 65535) {
                throw bad(text);
            }
            return InetSocketAddress.createUnresolved(host, p);
        } catch (NumberFormatException e) {
            throw bad(text);
        }
    }

    private static ConfigException bad(String text) {
        return new ConfigException("listen address '" + text + "' must be HOST:PORT or [IPv6]:PORT, e.g. 127.0.0.1:8443");
    }
}
