package dev.drawbridge.controller;

import dev.drawbridge.pki.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The controller's data directory (mode 0700): the store, the CA key store, {@code admin.token},
 * {@code ca.pem} and {@code controller.url}, so scripts on the same machine can reach a running controller.
 */
public final class DataDir {
    private final Path root;

    public DataDir(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    public Path file(String name) {
        return root.resolve(name);
    }

    void create() {
        try {
            Files.createDirectories(root);
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + root, e);
        }
    }

    /** Reads a secret file, or makes one with 32 random bytes (base64url) at first use. */
    String secret(String name) {
        Path p = file(name);
        try {
            if (Files.exists(p)) {
                return Files.readString(p, StandardCharsets.US_ASCII).strip();
            }
            byte[] b = new byte[32];
            new SecureRandom().nextBytes(b);
            String value = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
            writePrivate(name, value + "\n");
            return value;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create " + p, e);
        }
    }

    /** Writes a file atomically (temp file, fsync, rename, directory fsync) with mode 0600. */
    void writePrivate(String name, String content) {
        write(name, content, "rw-------");
    }

    void writePublic(String name, String content) {
        write(name, content, "rw-r--r--");
    }

    private void write(String name, String content, String mode) {
        Path target = file(name);
        try {
            AtomicFiles.write(target, content.getBytes(StandardCharsets.UTF_8), PosixFilePermissions.fromString(mode));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }
}
