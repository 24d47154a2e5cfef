package dev.drawbridge.pki;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;

/**
 * Minimal DER writing (ITU-T X.690 §10) for the hot issuance path, where BouncyCastle's object tree costs more
 * than the signature. Only definite lengths and the few universal types certificates need.
 */
final class Der {
    static final int BOOLEAN = 0x01;
    static final int INTEGER = 0x02;
    static final int BIT_STRING = 0x03;
    static final int OCTET_STRING = 0x04;
    static final int UTF8_STRING = 0x0c;
    static final int UTC_TIME = 0x17;
    static final int SEQUENCE = 0x30;
    static final int SET = 0x31;

    private Der() {}

    /** One TLV whose value is the concatenation of {@code parts}. */
    static byte[] tlv(int tag, byte[]... parts) {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        byte[] out = new byte[headerLength(length) + length];
        int at = header(out, tag, length);
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        byte[] out = new byte[length];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    static byte[] ascii(int tag, String value) {
        return tlv(tag, value.getBytes(StandardCharsets.US_ASCII));
    }

    /** The DER encoding of a BouncyCastle object, for the parts computed once. */
    static byte[] of(ASN1Encodable value) {
        try {
            return value.toASN1Primitive().getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new PkiException("cannot DER-encode " + value.getClass().getSimpleName(), e);
        }
    }

    private static int headerLength(int length) {
        if (length < 0x80) {
            return 2;
        }
        if (length < 0x100) {
            return 3;
        }
        if (length < 0x10000) {
            return 4;
        }
        return length < 0x1000000 ? 5 : 6;
    }

    private static int header(byte[] out, int tag, int length) {
        out[0] = (byte) tag;
        int n = headerLength(length) - 2; // number of length octets after the 0x8n octet
        if (n == 0) {
            out[1] = (byte) length;
            return 2;
        }
        out[1] = (byte) (0x80 | n);
        for (int i = n; i >= 1; i--) {
            out[1 + i] = (byte) length;
            length >>>= 8;
        }
        return 2 + n;
    }
}
