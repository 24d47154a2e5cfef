package dev.drawbridge.controller.api;

import dev.drawbridge.testkit.OpenSsl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Keys and CSRs made by the openssl CLI, as a node or a console would make them. */
final class Csrs {
    private Csrs() {}

    /** An EC P-256 key and CSR for {@code cn} with optional extra subjectAltName entries, e.g. "DNS:x". */
    static String ec(Path dir, String cn, String... sans) {
        return make(dir, cn, List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"), sans);
    }

    static String rsa(Path dir, String cn, int bits) {
        return make(dir, cn, List.of("-newkey", "rsa:" + bits), new String[0]);
    }

    static String make(Path dir, String cn, List<String> keyArgs, String... sans) {
        String base = cn + "-" + System.nanoTime();
        List<String> args = new ArrayList<>(List.of("req", "-new", "-nodes"));
        args.addAll(keyArgs);
        args.addAll(List.of("-keyout", base + ".key", "-out", base + ".csr", "-subj", "/CN=" + cn));
        if (sans.length > 0) {
            args.addAll(List.of("-addext", "subjectAltName=" + String.join(",", sans)));
        }
        OpenSsl.runOk(dir, args.toArray(String[]::new));
        return read(dir.resolve(base + ".csr"));
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path write(Path dir, String name, String content) {
        try {
            return Files.writeString(dir.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Flips one bit inside the signature of a PEM CSR (its last base64 line region). */
    static String breakSignature(String pem) {
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        der[der.length - 5] ^= 0x01;
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der);
        return "-----BEGIN CERTIFICATE REQUEST-----\n" + b64 + "\n-----END CERTIFICATE REQUEST-----\n";
    }
}
