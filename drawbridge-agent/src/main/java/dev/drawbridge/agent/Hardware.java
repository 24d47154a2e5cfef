package dev.drawbridge.agent;

import dev.drawbridge.protocol.HardwareInfo;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/** {@code hardware.get_info}: what Linux says the machine is, from /sys and /proc, or a simulated profile. */
final class Hardware {
    private static final String ZERO_MAC = "00:00:00:00:00:00";
    private final Optional<Path> profile;
    private final Path sys;
    private final Path proc;

    private Hardware(Optional<Path> profile, Path sys, Path proc) {
        this.profile = profile;
        this.sys = sys;
        this.proc = proc;
    }

    /** This machine's hardware, read from /sys and /proc. */
    static Hardware system() {
        return under(Path.of("/sys"), Path.of("/proc"));
    }

    /** The hardware as sysfs and procfs trees rooted at {@code sys} and {@code proc} show it. */
    static Hardware under(Path sys, Path proc) {
        return new Hardware(Optional.empty(), sys, proc);
    }

    /** The hardware a simulated node claims: the JSON file {@code profile} (a {@code HardwareInfo}). */
    static Hardware profile(Path profile) {
        return new Hardware(Optional.of(profile), Path.of("/sys"), Path.of("/proc"));
    }

    HardwareInfo read() {
        if (profile.isPresent()) {
            try {
                return Wire.JSON.readValue(profile.get().toFile(), HardwareInfo.class);
            } catch (IOException | RuntimeException e) {
                throw new CommandFailed("cannot read hardware profile " + profile.get() + ": " + e.getMessage(), e);
            }
        }
        return new HardwareInfo(nics(), text(sys.resolve("class/dmi/id/product_uuid")).orElse("unknown"),
                text(sys.resolve("class/dmi/id/product_serial")).orElse("unknown"),
                Runtime.getRuntime().availableProcessors(), memTotal(), disks());
    }

    private List<HardwareInfo.Nic> nics() {
        List<HardwareInfo.Nic> out = new ArrayList<>();
        for (Path dir : list(sys.resolve("class/net"))) {
            String name = dir.getFileName().toString();
            Optional<String> mac = text(dir.resolve("address")).map(m -> m.toLowerCase(Locale.ROOT));
            if (!name.equals("lo") && mac.isPresent() && !mac.get().equals(ZERO_MAC) && !mac.get().isEmpty()) {
                out.add(new HardwareInfo.Nic(name, mac.get()));
            }
        }
        return out;
    }

    private List<HardwareInfo.Disk> disks() {
        List<HardwareInfo.Disk> out = new ArrayList<>();
        Optional<String> rootDisk = rootDisk();
        for (Path dir : list(sys.resolve("block"))) {
            String name = dir.getFileName().toString();
            if (name.startsWith("loop") || name.startsWith("ram") || name.startsWith("zram")) {
                continue; // not real disks
            }
            boolean root = rootDisk.filter(name::equals).isPresent();
            text(dir.resolve("size")).flatMap(Hardware::parseLong).ifPresent(sectors -> out.add(
                    new HardwareInfo.Disk(name, sectors * 512, "/dev/" + name, root))); // always 512-byte units
        }
        return out;
    }

    /**
     * The whole disk holding the running root file system: the major:minor of {@code /} from
     * /proc/self/mountinfo (field 3), then /sys/dev/block/MAJ:MIN, whose parent is the disk when it is a partition.
     */
    Optional<String> rootDisk() {
        Optional<String> majorMinor = text(proc.resolve("self/mountinfo")).flatMap(t -> t.lines()
                .map(l -> l.split(" "))
                .filter(f -> f.length > 4 && f[4].equals("/"))
                .map(f -> f[2]).reduce((first, later) -> later)); // the last mount on / is the one in effect
        if (majorMinor.isEmpty()) {
            return Optional.empty();
        }
        try {
            Path dev = sys.resolve("dev/block").resolve(majorMinor.get()).toRealPath();
            Path disk = Files.exists(dev.resolve("partition")) ? dev.getParent() : dev;
            return Optional.of(disk.getFileName().toString());
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // an overlay or tmpfs root: no block device holds it
        }
    }

    private long memTotal() {
        // /proc/meminfo: "MemTotal:       16318156 kB"
        return text(proc.resolve("meminfo")).flatMap(t -> t.lines().filter(l -> l.startsWith("MemTotal:")).findFirst())
                .flatMap(l -> parseLong(l.replaceAll("[^0-9]", ""))).map(kib -> kib * 1024).orElse(0L);
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The trimmed file content, or empty when missing or unreadable (product_serial is root-only). */
    private static Optional<String> text(Path file) {
        try {
            return Optional.of(Files.readString(file).strip());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Optional<Long> parseLong(String s) {
        try {
            return Optional.of(Long.parseLong(s.strip()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
