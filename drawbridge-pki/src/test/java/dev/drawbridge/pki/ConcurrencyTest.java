package dev.drawbridge.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConcurrencyTest {
    @Test
    void many_threads_issuing_at_once_get_distinct_serials_and_valid_certificates(@TempDir Path dir)
            throws Exception {
        CertificateAuthority ca = Fixtures.ca(dir);
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair node = generator.generateKeyPair();
        List<Future<IssuedCertificate>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 2_000; i++) {
                String name = "node-" + i;
                futures.add(pool.submit(() -> ca.issue(new IssueRequest(Profile.NODE, name, List.of(name + ".test"),
                        List.of("10.0.0.1"), node.getPublic()))));
            }
        }
        Set<BigInteger> serials = new HashSet<>();
        for (Future<IssuedCertificate> f : futures) {
            IssuedCertificate issued = f.get();
            issued.certificate().verify(ca.root().getPublicKey());
            serials.add(issued.serial());
        }
        assertThat(serials).hasSize(2_000);
    }
}
