package dev.drawbridge.agent;

import dev.drawbridge.protocol.Causes;
import dev.drawbridge.protocol.CommandStatus.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * {@code deploy.write_image}: streams an image straight onto the target while hashing it, so a multi-GiB
 * image needs no scratch space. A target whose bytes do not match the expected SHA-256 has its first MiB
 * zeroed, so a half-written or tampered image never boots, and is recorded as not deployed.
 */
final class ImageWriter {
    private static final int CHUNK = 1024 * 1024;
    /** Made at the first deploy: a client holds a selector thread, and most agents of a big fleet never deploy. */
    private final Supplier<HttpClient> http;
    private final DeployState state;

    ImageWriter(SSLContext tls, DeployState state) {
        this.http = new Supplier<>() {
            private HttpClient client;

            @Override
            public synchronized HttpClient get() {
                if (client == null) {
                    client = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(30))
                            .followRedirects(HttpClient.Redirect.NORMAL).build();
                }
                return client;
            }
        };
        this.state = state;
    }

    Map<String, Object> write(Command.WriteImage cmd, Consumer<Progress> progress) {
        HttpResponse<InputStream> response;
        try {
            response = http.get().send(HttpRequest.newBuilder(cmd.url()).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new CommandFailed("cannot fetch " + cmd.url() + ": " + Causes.describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailed("interrupted while fetching " + cmd.url());
        }
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw new CommandFailed("HTTP " + response.statusCode() + " from " + cmd.url());
            }
            long total = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            Written written = stream(body, cmd, total, progress);
            String actual = written.sha256();
            if (!actual.equals(cmd.sha256())) {
                String reason = "checksum mismatch: expected " + cmd.sha256() + ", got " + actual;
                invalidate(cmd, reason);
                throw new CommandFailed(reason);
            }
            state.deployed(cmd.url().toString(), actual, cmd.target().toString());
            return Map.of("deployed", true, "sha256", actual, "bytes", written.bytes(),
                    "target", cmd.target().toString());
        } catch (IOException e) {
            invalidate(cmd, "write failed: " + e.getMessage());
            throw new CommandFailed("cannot write image to " + cmd.target() + ": " + Causes.describe(e), e);
        }
    }

    private record Written(String sha256, long bytes) {}

    private static Written stream(InputStream body, Command.WriteImage cmd, long total, Consumer<Progress> progress)
            throws IOException {
        MessageDigest sha = sha256();
        // Regular files are truncated so a shorter image leaves no tail of an old one; devices cannot be.
        var options = Files.isRegularFile(cmd.target())
                ? new StandardOpenOption[] {StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING}
                : new StandardOpenOption[] {StandardOpenOption.WRITE, StandardOpenOption.CREATE};
        try (FileChannel out = FileChannel.open(cmd.target(), options)) {
            byte[] buf = new byte[CHUNK];
            long done = 0;
            int n;
            while ((n = body.readNBytes(buf, 0, buf.length)) > 0) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedIOException("the agent is stopping");
                }
                sha.update(buf, 0, n);
                ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                while (b.hasRemaining()) {
                    out.write(b);
                }
                done += n;
                progress.accept(new Progress(done, total, "writing " + cmd.target()));
            }
            out.force(true);
            return new Written(HexFormat.of().formatHex(sha.digest()), done);
        }
    }

    private void invalidate(Command.WriteImage cmd, String reason) {
        try (FileChannel ch = FileChannel.open(cmd.target(), StandardOpenOption.WRITE)) {
            Eraser.zero(ch, 0, Math.min(Eraser.MIB, BlockDevices.size(cmd.target(), ch)));
            ch.force(true);
        } catch (IOException e) {
            reason = reason + "; and zeroing the target failed: " + e.getMessage();
        }
        state.notDeployed(reason, cmd.target().toString());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
