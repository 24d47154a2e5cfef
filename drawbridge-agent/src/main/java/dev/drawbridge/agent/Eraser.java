package dev.drawbridge.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import dev.drawbridge.protocol.HardwareInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Optional;
import java.util.List;
import java.util.Map;

/**
 * {@code clean.erase_devices}: zeroes the first and last MiB of each device. That removes partition tables
 * (GPT keeps a backup at the end), boot sectors and most file-system and RAID superblocks quickly; it is a
 * metadata wipe, not a secure erase.
 */
final class Eraser {
    static final int MIB = 1024 * 1024;

    private Eraser() {}

    /**
     * Erases {@code devices} after checking every one of them against {@code reported}, the agent's own hardware
     * report read now: each must be (by its real path) a disk the agent reported, and not the disk its running root
     * file system is on. Nothing is erased unless all pass, and a refusal names the device and why.
     */
    static Map<String, Object> erase(List<Path> devices, List<HardwareInfo.Disk> reported) {
        Map<Path, HardwareInfo.Disk> known = new HashMap<>();
        for (HardwareInfo.Disk d : reported) {
            real(Path.of(d.path())).ifPresent(p -> known.put(p, d));
        }
        for (Path device : devices) {
            Optional<Path> real = real(device);
            HardwareInfo.Disk disk = real.map(known::get).orElseThrow(() -> new CommandFailed("refusing to erase "
                    + device + ": it is not a disk this agent reports in hardware.get_info (reported: "
                    + reported.stream().map(HardwareInfo.Disk::path).toList() + ")"));
            if (disk.root()) {
                throw new CommandFailed("refusing to erase " + device + ": the running system's root file system is "
                        + "on " + disk.name());
            }
        }
        return erase(devices);
    }

    private static Optional<Path> real(Path p) {
        try {
            return Optional.of(p.toRealPath());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Map<String, Object> erase(List<Path> devices) {
        List<Map<String, Object>> erased = new ArrayList<>();
        for (Path device : devices) {
            erased.add(eraseOne(device));
        }
        return Map.of("erased", erased);
    }

    private static Map<String, Object> eraseOne(Path device) {
        try (FileChannel ch = FileChannel.open(device, StandardOpenOption.WRITE)) {
            long size = BlockDevices.size(device, ch);
            long head = Math.min(MIB, size);
            zero(ch, 0, head);
            long tailStart = Math.max(head, size - MIB);
            zero(ch, tailStart, size - tailStart);
            ch.force(true);
            return Map.of("device", device.toString(), "size_bytes", size, "erased_bytes", head + size - tailStart);
        } catch (IOException e) {
            throw new CommandFailed("cannot erase " + device + ": " + e.getMessage(), e);
        }
    }

    static void zero(FileChannel ch, long position, long length) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(MIB, Math.max(length, 0)));
        long done = 0;
        while (done < length) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), length - done));
            done += ch.write(zeros, position + done);
        }
    }
}
