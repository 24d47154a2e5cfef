package dev.drawbridge.pki;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes files so that a crash leaves either the old file or the whole new one, never a torn key store, and
 * so that a secret is never readable by others, not even for a moment: the temp file has its mode from
 * creation. The one writer for the CA key store and the controller's and agent's data directories.
 */
public final class AtomicFiles {
    private static final Set<PosixFilePermission> OWNER_ONLY = Set.copyOf(PosixFilePermissions.fromString("rw-------"));

    private AtomicFiles() {}

    /** Writes {@code data} to {@code target} with mode 0600, creating missing parent directories. */
    public static void write(Path target, byte[] data) throws IOException {
        write(target, data, OWNER_ONLY);
    }

    /**
     * Writes {@code data} to {@code target} with {@code mode} (less the umask), creating missing parent
     * directories. Refuses, with {@link UnsupportedOperationException}, a file system without POSIX modes
     * rather than write a secret readable by others.
     */
    public static void write(Path target, byte[] data, Set<PosixFilePermission> mode) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, "." + absolute.getFileName(), ".tmp",
                PosixFilePermissions.asFileAttribute(mode));
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(data);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE);
            temp = null;
            // The rename is durable only once the directory entry is on disk (fsync of the directory, POSIX).
            try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
                directory.force(true);
            }
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the write already failed; that error is the one to report
                }
            }
        }
    }
}
