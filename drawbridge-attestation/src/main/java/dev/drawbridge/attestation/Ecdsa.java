package dev.drawbridge.attestation;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;

/** Converts between the TPM's ECDSA (r, s) pair and the DER SEQUENCE that JCA providers take. */
final class Ecdsa {
    private Ecdsa() {}

    /** DER SEQUENCE { INTEGER r, INTEGER s } (RFC 3279, 2.2.3). */
    static byte[] toDer(byte[] r, byte[] s) {
        byte[] ri = new BigInteger(1, r).toByteArray();
        byte[] si = new BigInteger(1, s).toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream(8 + ri.length + si.length);
        int body = 2 + ri.length + 2 + si.length + (ri.length > 127 ? 1 : 0) + (si.length > 127 ? 1 : 0);
        out.write(0x30);
        length(out, body);
        out.write(0x02);
        length(out, ri.length);
        out.write(ri, 0, ri.length);
        out.write(0x02);
        length(out, si.length);
        out.write(si, 0, si.length);
        return out.toByteArray();
    }

    private static void length(ByteArrayOutputStream out, int n) {
        if (n > 127) {
            out.write(0x81);
        }
        out.write(n);
    }

    /** (r, s) from a DER signature, each as a fixed-size big-endian integer. */
    static byte[][] fromDer(byte[] der, int size) {
        TpmReader r = TpmReader.bigEndian(der, "ECDSA-Sig-Value");
        if (r.u8("tag") != 0x30) {
            throw r.fail("is not a SEQUENCE");
        }
        derLength(r);
        byte[][] out = new byte[2][];
        for (int i = 0; i < 2; i++) {
            if (r.u8("integer tag") != 0x02) {
                throw r.fail("holds no INTEGER");
            }
            out[i] = fixed(new BigInteger(1, r.bytes(derLength(r), "integer")), size);
        }
        r.end();
        return out;
    }

    private static int derLength(TpmReader r) {
        int n = r.u8("length");
        return n == 0x81 ? r.u8("length") : n;
    }

    /** A non-negative integer as exactly {@code size} big-endian bytes. */
    static byte[] fixed(BigInteger v, int size) {
        byte[] b = v.toByteArray();
        byte[] out = new byte[size];
        int n = Math.min(b.length, size);
        System.arraycopy(b, b.length - n, out, size - n, n);
        return out;
    }
}
