package dev.drawbridge.controller;

import dev.drawbridge.pki.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/**
 * The controller's data directory (mode 0700): the store, the CA key store, {@code admin.token},
 * {@code ca.pem} and {@code controller.url}, so scripts on the same machine can reach a running controller.
 */
public final class DataDir {
    /**
     * What every member of one cluster (or both of an active/standby pair) must hold alike: the CA key store and its
     * passphrase, the key-encryption key of the secrets in the store, and the admin credential. The rest of a data
     * directory belongs to its controller.
     */
    public static final List<String> CLUSTER_SHARED = List.of("ca.p12", "ca.pass", "store.kek", "admin.token");

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

    /**
     * Copies those of {@link #CLUSTER_SHARED} this data directory has (no {@code ca.p12} when the CA key is in a
     * token or in the store) into {@code other} (created 0700 when missing), each file keeping its mode, so that a
     * controller started there joins this one's cluster with the same CA.
     */
    public void shareWith(Path other) {
        DataDir to = new DataDir(other);
        to.create();
        for (String name : CLUSTER_SHARED) {
            if (!Files.exists(file(name))) {
                continue;
            }
            try {
                Files.copy(file(name), to.file(name), StandardCopyOption.COPY_ATTRIBUTES);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot copy " + file(name) + " to " + other, e);
            }
        }
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
