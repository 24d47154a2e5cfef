package dev.drawbridge.protocol;

import java.util.List;
import java.util.Objects;

/** Result of {@code hardware.get_info}: what the machine says it is, read from /sys and /proc or a profile. */
public record HardwareInfo(List<Nic> interfaces, String systemUuid, String serial, int cpus, long memoryBytes,
                           List<Disk> disks) {
    public HardwareInfo {
        if (interfaces == null || interfaces.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("field interfaces is missing or holds null");
        }
        interfaces = List.copyOf(interfaces);
        disks = disks == null ? List.of() : List.copyOf(disks.stream().filter(Objects::nonNull).toList());
    }

    /** A network interface; {@code mac} is lower-case colon form. */
    public record Nic(String name, String mac) {}

    /**
     * A block device: its kernel name, size, the path the agent opens it by ({@code /dev/NAME} unless a simulated
     * profile says otherwise), and whether the running system's root file system lives on it. Only devices the
     * agent itself reports may be erased, and never the root one.
     */
    public record Disk(String name, long sizeBytes, String path, boolean root) {
        public Disk {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a disk needs a name");
            }
            path = path == null || path.isBlank() ? "/dev/" + name : path;
        }

        public Disk(String name, long sizeBytes) {
            this(name, sizeBytes, "/dev/" + name, false);
        }
    }
}
