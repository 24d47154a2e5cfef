package dev.drawbridge.attestation;

import java.util.Arrays;

/**
 * A bounds-checked cursor over a TPM structure. Every read names the field, so a short or
 * oversized input fails with an {@link AttestationException} that says what was being read.
 */
final class TpmReader {
    private final byte[] data;
    private final String structure;
    private final boolean littleEndian;
    private int pos;

    private TpmReader(byte[] data, String structure, boolean littleEndian) {
        this.data = data;
        this.structure = structure;
        this.littleEndian = littleEndian;
    }

    /** Marshalled TPM structures are big-endian (TCG TPM 2.0 Part 1, 18.2). */
    static TpmReader bigEndian(byte[] data, String structure) {
        return new TpmReader(data, structure, false);
    }

    /** tpm2-tools' "serialized" PCR file is a raw little-endian dump of C structs. */
    static TpmReader littleEndian(byte[] data, String structure) {
        return new TpmReader(data, structure, true);
    }

    int position() {
        return pos;
    }

    int remaining() {
        return data.length - pos;
    }

    private void need(int n, String field) {
        if (n < 0 || n > data.length - pos) {
            throw fail(field + ": needs " + n + " bytes at offset " + pos + ", only " + remaining() + " left");
        }
    }

    AttestationException fail(String message) {
        return new AttestationException(structure + " " + message);
    }

    int u8(String field) {
        need(1, field);
        return data[pos++] & 0xFF;
    }

    int u16(String field) {
        need(2, field);
        int a = data[pos] & 0xFF;
        int b = data[pos + 1] & 0xFF;
        pos += 2;
        return littleEndian ? (b << 8) | a : (a << 8) | b;
    }

    long u32(String field) {
        need(4, field);
        long v = 0;
        for (int i = 0; i < 4; i++) {
            int shift = littleEndian ? 8 * i : 8 * (3 - i);
            v |= (long) (data[pos + i] & 0xFF) << shift;
        }
        pos += 4;
        return v;
    }

    long u64(String field) {
        need(8, field);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            int shift = littleEndian ? 8 * i : 8 * (7 - i);
            v |= (long) (data[pos + i] & 0xFF) << shift;
        }
        pos += 8;
        return v;
    }

    byte[] bytes(int n, String field) {
        need(n, field);
        byte[] out = Arrays.copyOfRange(data, pos, pos + n);
        pos += n;
        return out;
    }

    void skip(int n, String field) {
        need(n, field);
        pos += n;
    }

    /** A TPM2B: u16 size then that many bytes, with the size bounded by the type's maximum. */
    byte[] tpm2b(String field, int maxSize) {
        int size = u16(field + ".size");
        if (size > maxSize) {
            throw fail(field + ".size " + size + " exceeds the maximum " + maxSize);
        }
        return bytes(size, field + ".buffer");
    }

    /** Rejects trailing bytes: a structure must fill its file exactly. */
    void end() {
        if (pos != data.length) {
            throw fail("has " + remaining() + " trailing bytes after offset " + pos);
        }
    }
}
