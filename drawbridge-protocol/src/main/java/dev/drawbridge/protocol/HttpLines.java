package dev.drawbridge.protocol;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Reads the CRLF-terminated lines of HTTP/1.1 heads, for the agent's light server and the conductor's client. */
public final class HttpLines {
    private HttpLines() {}

    /**
     * One line in ISO-8859-1 without its CRLF (a bare LF is accepted too), at most {@code max} bytes. At end of
     * stream before the first byte: null when {@code first} (the peer closed between messages), otherwise an
     * {@link EOFException}, as is an end of stream inside a line.
     */
    public static String read(InputStream in, int max, boolean first) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(64);
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                byte[] b = buf.toByteArray();
                int n = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
                return new String(b, 0, n, StandardCharsets.ISO_8859_1);
            }
            if (buf.size() >= max) {
                throw new IOException("line longer than " + max + " bytes");
            }
            buf.write(c);
        }
        if (first && buf.size() == 0) {
            return null;
        }
        throw new EOFException("connection closed mid-message");
    }
}
