package dev.drawbridge.agent;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/** Sizes of files and block devices; fstat reports 0 for a block device, so /sys is asked then. */
final class BlockDevices {
    private BlockDevices() {}

    static long size(Path device, FileChannel open) throws IOException {
        long size = open.size();
        if (size > 0 || Files.isRegularFile(device)) {
            return size;
        }
        Path real = device.toRealPath();
        Path sysSize = Path.of("/sys/class/block", real.getFileName().toString(), "size");
        try {
            return Long.parseLong(Files.readString(sysSize).strip()) * 512; // /sys counts 512-byte sectors
        } catch (IOException | NumberFormatException e) {
            throw new IOException("cannot find the size of " + device + " (" + sysSize + ")", e);
        }
    }
}
