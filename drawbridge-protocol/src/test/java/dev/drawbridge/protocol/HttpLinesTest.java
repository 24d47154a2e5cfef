package dev.drawbridge.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpLinesTest {
    private static InputStream in(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void readsLinesWithoutTheirTerminator() throws IOException {
        InputStream in = in("GET / HTTP/1.1\r\nHost: x\n\r\n");
        assertThat(HttpLines.read(in, 100, true)).isEqualTo("GET / HTTP/1.1");
        assertThat(HttpLines.read(in, 100, false)).isEqualTo("Host: x");
        assertThat(HttpLines.read(in, 100, false)).isEmpty();
        assertThat(HttpLines.read(in, 100, true)).as("closed between messages").isNull();
    }

    @Test
    void refusesTruncatedAndOverlongLines() {
        assertThatThrownBy(() -> HttpLines.read(in(""), 100, false)).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> HttpLines.read(in("HTTP/1.1 20"), 100, true)).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> HttpLines.read(in("x".repeat(101) + "\r\n"), 100, true))
                .isInstanceOf(IOException.class).hasMessageContaining("longer than 100");
    }
}
