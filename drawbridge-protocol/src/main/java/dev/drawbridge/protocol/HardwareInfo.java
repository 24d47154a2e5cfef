package dev.drawbridge.protocol;

import java.util.List;

/** Result of {@code hardware.get_info}: what the machine says it is, read from /sys and /proc or a profile. */
public record HardwareInfo(List<Nic> interfaces, String systemUuid, String serial, int cpus, long memoryBytes,
                           List<Disk> disks) {
    public HardwareInfo {
        interfaces = List.copyOf(interfaces);
        disks = List.copyOf(disks);
    }

    /** A network interface; {@code mac} is lower-case colon form. */
    public record Nic(String name, String mac) {}

    /** A block device. */
    public record Disk(String name, long sizeBytes) {}
}
