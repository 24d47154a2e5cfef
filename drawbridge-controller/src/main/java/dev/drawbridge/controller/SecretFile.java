package dev.drawbridge.controller;

import dev.drawbridge.controller.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * A secret named by a {@code *-file} setting (the key-encryption key, the CA passphrase, a token PIN): read only when
 * nobody but its owner may read or write it, as OpenSSH treats a private key. A file the group or others can open
 * is refused at start with the {@code chmod} that mends it, rather than used and left open.
 */
final class SecretFile {
    private static final Set<PosixFilePermission> OPEN = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private SecretFile() {}

    /** The file's text, stripped; {@code key} names the setting in every error. */
    static String read(Path file, String key, String whatToDo) {
        try {
            PosixFileAttributeView posix = Files.getFileAttributeView(file, PosixFileAttributeView.class);
            if (posix != null) {
                Set<PosixFilePermission> mode = posix.readAttributes().permissions();
                if (mode.stream().anyMatch(OPEN::contains)) {
                    throw new ConfigException(key + " " + file + " may be read or written by others (mode "
                            + PosixFilePermissions.toString(mode) + "): run `chmod 600 " + file + "` and start again");
                }
            }
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new ConfigException(key + " " + file + " cannot be read (" + e.getMessage() + ")" + whatToDo);
        }
    }
}
