package dev.drawbridge.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** {@code power.reboot}: runs the configured command; with none configured the agent refuses rather than guess. */
final class Reboot {
    private final List<String> command;

    Reboot(List<String> command) {
        this.command = command;
    }

    Map<String, Object> run() {
        if (command.isEmpty()) {
            throw new CommandFailed("no reboot command configured");
        }
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] output = p.getInputStream().readNBytes(4096);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new CommandFailed("reboot command did not finish within 60 s");
            }
            if (p.exitValue() != 0) {
                throw new CommandFailed("reboot command exited with " + p.exitValue() + ": "
                        + new String(output, StandardCharsets.UTF_8).strip());
            }
            return Map.of("exit_code", 0);
        } catch (IOException e) {
            throw new CommandFailed("cannot run reboot command " + command.getFirst() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailed("interrupted while rebooting");
        }
    }
}
