package dev.drawbridge.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("atomic file writes")
class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("replacing a world-readable file leaves the new content at mode 0600 and no temp file")
    void replaceIsPrivate() throws Exception {
        Path file = dir.resolve("admin.token");
        Files.writeString(file, "old\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        AtomicFiles.write(file, "new\n".getBytes(StandardCharsets.US_ASCII));

        assertThat(Files.readString(file)).isEqualTo("new\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Files.list(dir).toList()).containsExactly(file);
    }

    @Test
    @DisplayName("a public file gets the mode asked for, less the umask, and never more")
    void publicMode() throws Exception {
        Path file = dir.resolve("ca.pem");

        AtomicFiles.write(file, "root\n".getBytes(StandardCharsets.US_ASCII),
                PosixFilePermissions.fromString("rw-r--r--"));

        assertThat(Files.getPosixFilePermissions(file))
                .contains(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)
                .isSubsetOf(PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(Files.readString(file)).isEqualTo("root\n");
    }

    @Test
    @DisplayName("a write that fails at the rename reports it and leaves no temp file")
    void failedRenameCleansUp() throws Exception {
        Path target = dir.resolve("state.json");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep"), "x"); // a non-empty directory cannot be renamed over

        assertThatThrownBy(() -> AtomicFiles.write(target, new byte[] {1, 2, 3})).isInstanceOf(IOException.class);

        assertThat(Files.list(dir).toList()).containsExactly(target);
        assertThat(Files.readString(target.resolve("keep"))).isEqualTo("x");
    }
}
