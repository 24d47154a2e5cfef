package dev.drawbridge.attestation;

import java.io.ByteArrayOutputStream;

/** Marshals TPM structures, big-endian or (for tpm2-tools' PCR file) little-endian. */
final class TpmWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    private final boolean littleEndian;

    private TpmWriter(boolean littleEndian) {
        this.littleEndian = littleEndian;
    }

    static TpmWriter bigEndian() {
        return new TpmWriter(false);
    }

    static TpmWriter littleEndian() {
        return new TpmWriter(true);
    }

    TpmWriter u8(int v) {
        out.write(v);
        return this;
    }

    TpmWriter u16(int v) {
        return number(v & 0xFFFFL, 2);
    }

    TpmWriter u32(long v) {
        return number(v & 0xFFFFFFFFL, 4);
    }

    TpmWriter u64(long v) {
        return number(v, 8);
    }

    private TpmWriter number(long v, int size) {
        for (int i = 0; i < size; i++) {
            int shift = littleEndian ? 8 * i : 8 * (size - 1 - i);
            out.write((int) (v >>> shift) & 0xFF);
        }
        return this;
    }

    TpmWriter bytes(byte[] b) {
        out.write(b, 0, b.length);
        return this;
    }

    TpmWriter zeros(int n) {
        for (int i = 0; i < n; i++) {
            out.write(0);
        }
        return this;
    }

    TpmWriter tpm2b(byte[] b) {
        u16(b.length);
        return bytes(b);
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }
}
