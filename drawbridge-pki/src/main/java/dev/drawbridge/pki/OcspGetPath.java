package dev.drawbridge.pki;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Decodes the GET form of an OCSP request: the last path segment is the URL-encoded base64 of the DER
 * request (RFC 6960 appendix A.1). Only %XX escapes are decoded: "+" in a path is a base64 character,
 * not a space as in form encoding. The URL-safe base64 alphabet is accepted too, since clients use it.
 */
final class OcspGetPath {
    private OcspGetPath() {}

    static byte[] decode(String segment) {
        if (segment.isEmpty() || segment.length() > OcspResponder.MAX_REQUEST * 2) {
            throw new BadOcspRequest("OCSP GET path of " + segment.length() + " characters: expected 1 to "
                    + OcspResponder.MAX_REQUEST * 2);
        }
        String base64 = percentDecode(segment);
        try {
            byte[] der = base64.indexOf('-') >= 0 || base64.indexOf('_') >= 0
                    ? Base64.getUrlDecoder().decode(base64) : Base64.getDecoder().decode(base64);
            if (der.length == 0) {
                throw new BadOcspRequest("OCSP GET path decodes to nothing");
            }
            return der;
        } catch (IllegalArgumentException e) {
            throw new BadOcspRequest("OCSP GET path is not base64: " + e.getMessage());
        }
    }

    private static String percentDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
                int lo = hi >= 0 ? Character.digit(s.charAt(i + 2), 16) : -1;
                if (lo < 0) {
                    throw new BadOcspRequest("OCSP GET path has a broken %-escape at position " + i);
                }
                out.write(hi * 16 + lo);
                i += 2;
            } else if (c < 0x80) {
                out.write(c);
            } else {
                throw new BadOcspRequest("OCSP GET path holds a non-ASCII character at position " + i);
            }
        }
        return out.toString(StandardCharsets.US_ASCII);
    }
}
