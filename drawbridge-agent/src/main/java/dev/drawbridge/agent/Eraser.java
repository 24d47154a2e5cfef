package dev.drawbridge.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
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

    static Map<String, Object> erase(List<Path> devices) {
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
