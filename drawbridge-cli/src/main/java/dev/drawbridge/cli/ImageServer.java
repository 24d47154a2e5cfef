package dev.drawbridge.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * A small HTTP image host for the demo and tests: serves byte arrays by path, optionally throttled so a
 * deploy takes long enough to watch (or to crash a controller in the middle of it).
 */
public final class ImageServer implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, byte[]> images = new ConcurrentHashMap<>();
    private volatile long bytesPerSecond;

    public ImageServer(String host, long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
        try {
            server = HttpServer.create(new InetSocketAddress(host, 0), 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", ex -> {
            byte[] body = images.get(ex.getRequestURI().getPath());
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                int chunk = 64 * 1024;
                for (int off = 0; off < body.length; off += chunk) {
                    out.write(body, off, Math.min(chunk, body.length - off));
                    long rate = this.bytesPerSecond;
                    if (rate > 0) {
                        sleep(chunk * 1000L / rate);
                    }
                }
            } catch (IOException e) {
                // the agent went away mid-download; nothing to clean up here
            }
        });
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    /** Publishes random bytes at {@code path} and returns their SHA-256 (hex). */
    public String publishRandom(String path, int size) {
        byte[] b = new byte[size];
        new SecureRandom().nextBytes(b);
        images.put(path, b);
        return sha256(b);
    }

    public String url(String path) {
        InetSocketAddress a = server.getAddress();
        String h = a.getAddress().getHostAddress();
        return "http://" + (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort() + path;
    }

    public void throttle(long rate) {
        this.bytesPerSecond = rate;
    }

    public static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
