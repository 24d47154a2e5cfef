package dev.drawbridge.pki;

import dev.drawbridge.testkit.OpenSsl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A CA in a temp directory, with its root written as root.pem for openssl. */
final class Fixtures {
    private Fixtures() {}

    static CertificateAuthority ca(Path dir) {
        return ca(dir, CaSettings.defaults());
    }

    static CertificateAuthority ca(Path dir, CaSettings settings) {
        CryptoProviders.install();
        CertificateAuthority ca = CertificateAuthority.open(
                CaKeyStores.pkcs12(dir.resolve("ca.p12"), "test-pass".toCharArray()), settings);
        write(dir.resolve("root.pem"), ca.rootPem());
        return ca;
    }

    /** A key and CSR made by openssl, with the given -newkey argument and SANs. */
    static String opensslCsr(Path dir, String name, String... newKey) {
        var args = new ArrayList<String>(List.of("req", "-new", "-nodes"));
        for (String n : newKey) {
            args.add(n);
        }
        args.addAll(List.of("-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name,
                "-addext", "subjectAltName=DNS:" + name + ".example.test,IP:10.1.2.3,IP:fd00::1"));
        OpenSsl.runOk(dir, args.toArray(String[]::new));
        return read(dir.resolve(name + ".csr"));
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
