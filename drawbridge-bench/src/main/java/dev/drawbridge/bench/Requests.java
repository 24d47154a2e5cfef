package dev.drawbridge.bench;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Pre-built HTTP/1.1 request bytes, one per CSR, so the clients only write bytes while measured. */
final class Requests {
    private Requests() {}

    static byte[][] build(Options o, List<String> csrs) {
        byte[][] out = new byte[csrs.size()][];
        String host = o.url().getHost() + (o.url().getPort() > 0 ? ":" + o.url().getPort() : "");
        for (int i = 0; i < out.length; i++) {
            String pem = csrs.get(i).replace("\n", "\\n");
            String body = switch (o.mode()) {
                case "signcsr" -> "{\"CsrString\":\"" + pem + "\"}";
                case "cfssl" -> "{\"certificate_request\":\"" + pem + "\"}";
                default -> throw new IllegalArgumentException(o.mode());
            };
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            String head = "POST " + o.path() + " HTTP/1.1\r\n"
                    + "Host: " + host + "\r\n"
                    + (o.token().isEmpty() ? "" : "Authorization: Bearer " + o.token() + "\r\n")
                    + "Content-Type: application/json\r\n"
                    + "Accept: application/json\r\n"
                    + "Content-Length: " + b.length + "\r\n\r\n";
            byte[] h = head.getBytes(StandardCharsets.US_ASCII);
            byte[] r = new byte[h.length + b.length];
            System.arraycopy(h, 0, r, 0, h.length);
            System.arraycopy(b, 0, r, h.length, b.length);
            out[i] = r;
        }
        return out;
    }
}
