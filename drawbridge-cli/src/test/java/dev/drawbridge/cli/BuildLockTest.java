package dev.drawbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two first runs of {@code ./drawbridge} at once: the real launcher script, in a copy of the repo's layout whose
 * {@code mvnw} is a stand-in that takes two seconds, notes any build that overlaps another, and leaves a small jar.
 * Exactly one build runs, and both runs then start the jar.
 */
class BuildLockTest {
    @TempDir Path repo;

    /** The stand-in for the jar: prints its arguments. */
    public static final class Hello {
        public static void main(String[] args) {
            System.out.println("ran " + String.join(" ", args));
        }
    }

    private static Path root() {
        Path here = Path.of("").toAbsolutePath();
        return Files.exists(here.resolve("drawbridge")) ? here : here.getParent();
    }

    private void layout() throws IOException {
        Files.copy(root().resolve("drawbridge"), repo.resolve("drawbridge"));
        Files.createDirectories(repo.resolve("scripts"));
        Files.copy(root().resolve("scripts/find-java.sh"), repo.resolve("scripts/find-java.sh"));
        Files.writeString(repo.resolve("pom.xml"), "<project/>\n");
        Files.createDirectories(repo.resolve("drawbridge-cli/src/main/java"));
        Files.writeString(repo.resolve("drawbridge-cli/src/main/java/A.java"), "class A {}\n");
        Path jar = repo.resolve("hello.jar");
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Hello.class.getName());
        String entry = Hello.class.getName().replace('.', '/') + ".class";
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m);
             InputStream cls = Hello.class.getClassLoader().getResourceAsStream(entry)) {
            j.putNextEntry(new JarEntry(entry));
            cls.transferTo(j);
            j.closeEntry();
        }
        Path mvnw = repo.resolve("mvnw");
        Files.writeString(mvnw, """
                #!/usr/bin/env bash
                # stand-in build: two seconds, notes overlaps, leaves the jar
                cd "$(dirname "$0")"
                if ! mkdir building 2>/dev/null; then echo overlap >> builds.log; fi
                echo start >> builds.log
                sleep 2
                mkdir -p drawbridge-cli/target
                cp hello.jar drawbridge-cli/target/drawbridge.jar.tmp
                mv drawbridge-cli/target/drawbridge.jar.tmp drawbridge-cli/target/drawbridge.jar
                rmdir building 2>/dev/null || true
                """);
        Files.setPosixFilePermissions(mvnw, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(repo.resolve("drawbridge"), PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    @DisplayName("two first runs at once build once, and both run the jar")
    void twoFirstRunsBuildOnce() throws Exception {
        layout();
        List<Process> runs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            runs.add(new ProcessBuilder("bash", repo.resolve("drawbridge").toString(), "version", "--json")
                    .redirectErrorStream(true).start());
        }
        for (Process p : runs) {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the run finished").isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("ran version --json");
        }
        List<String> builds = Files.readAllLines(repo.resolve("builds.log"));
        assertThat(builds).as("one build, no overlap").containsExactly("start");

        Files.writeString(repo.resolve("drawbridge-cli/src/main/java/A.java"), "class A { int changed; }\n");
        Files.setLastModifiedTime(repo.resolve("drawbridge-cli/src/main/java/A.java"),
                FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        Process again = new ProcessBuilder("bash", repo.resolve("drawbridge").toString(), "x").redirectErrorStream(true)
                .start();
        assertThat(again.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readAllLines(repo.resolve("builds.log"))).as("a changed source builds again")
                .containsExactly("start", "start");
    }
}
