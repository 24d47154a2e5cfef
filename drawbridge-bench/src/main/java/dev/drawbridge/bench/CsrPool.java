package dev.drawbridge.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Distinct EC P-256 certificate requests (RFC 2986), made before the load starts so client-side key
 * generation is never timed. A cache file lets repeated runs in one sitting skip the generation.
 */
final class CsrPool {
    private static final String SEPARATOR = "\n#\n";

    private CsrPool() {}

    static List<String> load(int size, Path cache) {
        if (cache != null && Files.isRegularFile(cache)) {
            try {
                List<String> cached = List.of(Files.readString(cache).split(SEPARATOR));
                if (cached.size() >= size) {
                    return cached.subList(0, size);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        List<String> made = IntStream.range(0, size).parallel()
                .mapToObj(i -> pem(String.format("bench-%05d.example.test", i))).toList();
        if (cache != null) {
            try {
                Files.writeString(cache, String.join(SEPARATOR, made));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new ArrayList<>(made);
    }

    static String pem(String commonName) {
        try {
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
            kpg.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair kp = kpg.generateKeyPair();
            byte[] name = CsrDer.sequence(CsrDer.set(CsrDer.sequence(CsrDer.OID_COMMON_NAME, CsrDer.utf8(commonName))));
            byte[] noAttributes = {(byte) 0xA0, 0x00};
            byte[] info = CsrDer.sequence(new byte[] {0x02, 0x01, 0x00}, name, kp.getPublic().getEncoded(), noAttributes);
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(kp.getPrivate());
            s.update(info);
            byte[] csr = CsrDer.sequence(info, CsrDer.sequence(CsrDer.OID_ECDSA_WITH_SHA256), CsrDer.bitString(s.sign()));
            return "-----BEGIN CERTIFICATE REQUEST-----\n"
                    + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(csr)
                    + "\n-----END CERTIFICATE REQUEST-----\n";
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a P-256 CSR: " + e.getMessage(), e);
        }
    }
}
