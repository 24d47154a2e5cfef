package dev.drawbridge.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

/**
 * The serial bootstrap channel's link layer (docs/protocol.md, "Serial bootstrap"): one message per line,
 * {@code DBS1 SEQ TYPE LEN CRC BODY}, where SEQ is the sender's message number, TYPE one of {@link Type} or
 * {@code ACK}/{@code NAK}, LEN the body's length in bytes, CRC the CRC-32 (hex) of {@code "SEQ TYPE LEN "} and the
 * body, and BODY the body in base64. Every message is acknowledged by its SEQ; a line that does not parse or whose
 * CRC is wrong is answered {@code NAK}, and the sender sends its message again on a NAK or when no ACK comes within
 * the timeout, up to a retry limit. A message received twice (its ACK was lost) is acknowledged again and delivered
 * once. Stop-and-wait: one message in flight per side.
 */
public final class SerialLink implements AutoCloseable {
    /** What a message carries. */
    public enum Type { PAYLOAD, CSR, CERT, DONE, ERROR }

    /** A delivered message. */
    public record Message(Type type, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** The link gave up: the peer never acknowledged, or sent nothing in time. */
    public static final class Failed extends IOException {
        public Failed(String message) {
            super(message);
        }
    }

    /** The longest body a message carries. */
    public static final int MAX_BODY = 48 * 1024;
    private static final int MAX_LINE = 4 * MAX_BODY / 3 + 128;
    private static final Pattern FRAME = Pattern.compile("DBS1 (\\d{1,9}) ([A-Z]{3,7}) (\\d{1,6}) ([0-9a-f]{8}) ?([A-Za-z0-9+/=]*)");

    private record Frame(int seq, String kind, byte[] body) {}

    private final OutputStream out;
    private final Duration ackTimeout;
    private final int maxTries;
    private final BlockingQueue<Object> lines = new LinkedBlockingQueue<>();
    private final Deque<Message> delivered = new ArrayDeque<>();
    private final Thread reader;
    private int nextSeq = 1;
    private int lastReceived;
    private long retransmissions;

    /**
     * A link over {@code in} and {@code out} (a serial device opened raw). {@code ackTimeout} is how long a sender
     * waits for an ACK before sending again; {@code maxTries} how many times it sends one message at most.
     */
    public SerialLink(InputStream in, OutputStream out, Duration ackTimeout, int maxTries) {
        this.out = out;
        this.ackTimeout = ackTimeout;
        this.maxTries = maxTries;
        this.reader = Thread.ofPlatform().daemon().name("serial-link").start(() -> readLines(in));
    }

    private void readLines(InputStream in) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            int b;
            while ((b = in.read()) >= 0) {
                if (b == '\n') {
                    lines.add(line.toString(StandardCharsets.US_ASCII).strip());
                    line.reset();
                } else if (line.size() < MAX_LINE) {
                    line.write(b);
                } else {
                    line.reset();
                    lines.add(""); // too long: answered as garbage
                }
            }
        } catch (IOException e) {
            // the line closed
        }
        lines.add(EOF);
    }

    private static final Object EOF = new Object();

    /**
     * Puts the tty at {@code device} in raw mode without echo ({@code stty raw -echo}), as the link needs; a pty from
     * socat already is, and a device that is no tty is left as it is.
     */
    public static void rawMode(java.nio.file.Path device) {
        try {
            Process p = new ProcessBuilder("stty", "-F", device.toString(), "raw", "-echo").redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            // no stty, or not a tty: nothing to set
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Messages sent again because of a NAK or a missing ACK (a measure of the line's quality). */
    public long retransmissions() {
        return retransmissions;
    }

    /** Sends one message and waits for its ACK, sending it again as needed. */
    public synchronized void send(Type type, byte[] body) throws IOException {
        if (body.length > MAX_BODY) {
            throw new IllegalArgumentException("a serial message carries at most " + MAX_BODY + " bytes");
        }
        int seq = nextSeq++;
        for (int attempt = 1; attempt <= maxTries; attempt++) {
            if (attempt > 1) {
                retransmissions++;
            }
            write(seq, type.name(), body);
            long deadline = System.nanoTime() + ackTimeout.toNanos();
            while (true) {
                long left = deadline - System.nanoTime();
                Object next;
                try {
                    next = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new Failed("interrupted while waiting for an acknowledgement");
                }
                if (next == null) {
                    break; // no ACK in time: send again
                }
                if (next == EOF) {
                    throw new Failed("the serial line closed while sending " + type);
                }
                Frame f = parse((String) next);
                if (f == null) {
                    if (!((String) next).isEmpty()) {
                        write(0, "NAK", new byte[0]);
                    }
                    continue;
                }
                if (f.kind().equals("ACK") && f.seq() == seq) {
                    return;
                }
                if (f.kind().equals("NAK")) {
                    break; // the peer could not read something: send again
                }
                if (!f.kind().equals("ACK")) {
                    receiveData(f); // the peer's own message, crossing ours
                }
            }
        }
        throw new Failed("no acknowledgement for " + type + " after " + maxTries + " tries (wrong CRC or no answer"
                + " each time): check the line");
    }

    /** The next message from the peer, waiting at most {@code timeout}. */
    public synchronized Message receive(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (delivered.isEmpty()) {
            long left = deadline - System.nanoTime();
            Object next;
            try {
                next = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Failed("interrupted while waiting for a message");
            }
            if (next == null) {
                throw new Failed("nothing arrived on the serial line within " + timeout.toSeconds() + " s");
            }
            if (next == EOF) {
                throw new Failed("the serial line closed");
            }
            Frame f = parse((String) next);
            if (f == null) {
                if (!((String) next).isEmpty()) {
                    write(0, "NAK", new byte[0]);
                }
                continue;
            }
            if (!f.kind().equals("ACK") && !f.kind().equals("NAK")) {
                receiveData(f);
            }
        }
        return delivered.removeFirst();
    }

    private void receiveData(Frame f) throws IOException {
        Type type;
        try {
            type = Type.valueOf(f.kind());
        } catch (IllegalArgumentException e) {
            write(f.seq(), "NAK", new byte[0]);
            return;
        }
        write(f.seq(), "ACK", new byte[0]);
        if (f.seq() > lastReceived) {
            lastReceived = f.seq();
            delivered.addLast(new Message(type, f.body()));
        }
    }

    private void write(int seq, String kind, byte[] body) throws IOException {
        String head = seq + " " + kind + " " + body.length + " ";
        String line = "DBS1 " + head + crc(head, body) + " " + Base64.getEncoder().encodeToString(body) + "\n";
        out.write(line.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** A frame from a line, or null when it does not parse or its CRC is wrong. */
    private static Frame parse(String line) {
        Matcher m = FRAME.matcher(line);
        if (!m.matches()) {
            return null;
        }
        byte[] body;
        try {
            body = Base64.getDecoder().decode(m.group(5));
        } catch (IllegalArgumentException e) {
            return null;
        }
        int seq = Integer.parseInt(m.group(1));
        String head = seq + " " + m.group(2) + " " + m.group(3) + " ";
        if (body.length != Integer.parseInt(m.group(3)) || !crc(head, body).equals(m.group(4))) {
            return null;
        }
        return new Frame(seq, m.group(2), body);
    }

    private static String crc(String head, byte[] body) {
        CRC32 c = new CRC32();
        c.update(head.getBytes(StandardCharsets.US_ASCII));
        c.update(body);
        return String.format("%08x", c.getValue());
    }

    @Override
    public void close() {
        reader.interrupt();
    }
}
