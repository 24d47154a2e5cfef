package dev.drawbridge.agent;

/** A parsed {@code host:port}; IPv6 hosts come in brackets ({@code [::]:9999}) as in RFC 3986 authorities. */
record Listen(String host, int port) {
    static Listen parse(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new AgentException("listen address must be host:port, not \"" + text + "\"");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new AgentException("put an IPv6 listen host in brackets, e.g. [::]:9999, not \"" + text + "\"");
        }
        try {
            int port = Integer.parseInt(text.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new Listen(host, port);
        } catch (NumberFormatException e) {
            throw new AgentException("listen port must be 0..65535 in \"" + text + "\"");
        }
    }

    /**
     * The host as a URL names it: IPv6 in brackets, and a wildcard ({@code ::}, {@code 0.0.0.0}) replaced by this
     * machine's host name, since nobody can reach a wildcard.
     */
    static String forUrl(String host) {
        if (host.equals("::") || host.equals("0.0.0.0") || host.isEmpty()) {
            return dev.drawbridge.protocol.HostName.local();
        }
        return host.contains(":") ? "[" + host + "]" : host;
    }
}
