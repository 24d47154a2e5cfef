package dev.drawbridge.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/**
 * The agent's data directory. Every file is written whole or not at all (temp file, fsync, atomic rename,
 * directory fsync) and created 0600, so a crash never leaves a torn key store and no secret is ever readable
 * by others, not even for a moment.
 */
final class DataFiles {
    private final Path dir;

    DataFiles(Path dir) {
        this.dir = dir.toAbsolutePath();
        try {
            if (!Files.isDirectory(this.dir)) {
                Files.createDirectories(this.dir,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new AgentException("cannot create data directory " + this.dir + ": " + e.getMessage(), e);
        }
    }

    Path path(String name) {
        return dir.resolve(name);
    }

    Optional<byte[]> read(String name) {
        Path file = path(name);
        try {
            return Files.exists(file) ? Optional.of(Files.readAllBytes(file)) : Optional.empty();
        } catch (IOException e) {
            throw new AgentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    Optional<Map<String, Object>> readJson(String name) {
        return read(name).map(bytes -> {
            try {
                return (Map<String, Object>) Wire.JSON.readValue(bytes, Map.class);
            } catch (IOException e) {
                throw new AgentException("cannot parse " + path(name) + ": " + e.getMessage(), e);
            }
        });
    }

    void writeJson(String name, Object value) {
        try {
            write(name, Wire.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new AgentException("cannot encode " + name, e);
        }
    }

    void write(String name, byte[] data) {
        Path target = path(name);
        Path temp = null;
        try {
            temp = Files.createTempFile(dir, "." + name, ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(data);
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                ch.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            temp = null;
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true); // the rename is durable only once the directory entry is
            }
        } catch (IOException e) {
            throw new AgentException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the write already failed; that is the error to report
                }
            }
        }
    }
}
