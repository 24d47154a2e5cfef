package dev.drawbridge.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.drawbridge.pki.AtomicFiles;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/**
 * The agent's data directory (mode 0700). Every file is written by {@link AtomicFiles}: whole or not at all,
 * and created 0600.
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
        try {
            AtomicFiles.write(target, data);
        } catch (IOException e) {
            throw new AgentException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }
}
