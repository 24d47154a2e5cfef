package dev.drawbridge.controller.enroll;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.controller.inventory.AuditLog;
import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.StoreConfig;
import dev.drawbridge.pki.CaKeyStores;
import dev.drawbridge.pki.CaSettings;
import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.testkit.OpenSsl;
import dev.drawbridge.testkit.TestClock;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Revocations committed together share CRL re-signs, and none returns before the CRL lists it. */
class RevocationsTest {
    private static final int MANY = 40;
    @TempDir Path dir;
    Database db;
    CertificateAuthority ca;
    final CertificateRepository certs = CertificateRepository.jdbi();
    final Clock clock = Clock.systemUTC();

    @BeforeEach
    void open() {
        db = Database.open(StoreConfig.defaults(), dir);
        ca = CertificateAuthority.open(CaKeyStores.pkcs12(dir.resolve("ca.p12"), "pw".toCharArray()),
                CaSettings.defaults(), clock);
        Instant now = clock.instant();
        db.inTransaction(h -> {
            for (int i = 1; i <= MANY; i++) {
                certs.insert(h, new CertificateRecord(Integer.toHexString(0x1000 + i), Optional.of("node-" + i), "node",
                        "CN=node-" + i, now, now.plus(Duration.ofDays(1)), Optional.empty(), 0, "unused"));
            }
            return null;
        });
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    @DisplayName("each of many concurrent revocations returns with its serial already in the published CRL, "
            + "and the CRL was signed fewer times than there were revocations")
    void concurrentRevocationsShareResigns() throws Exception {
        Revocations revocations = new Revocations(db, ca, NodeRepository.jdbi(), certs, AuditLog.jdbi(), clock);
        long before = crlNumber(revocations.crl());
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> listed = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(MANY)) {
            for (int i = 1; i <= MANY; i++) {
                String serial = Integer.toHexString(0x1000 + i);
                listed.add(pool.submit(() -> {
                    go.await();
                    revocations.revoke(serial, Revocations.KEY_COMPROMISE, "tester");
                    return crl(revocations.crl()).getRevokedCertificate(new BigInteger(serial, 16)) != null;
                }));
            }
            go.countDown();
            for (Future<Boolean> f : listed) {
                assertThat(f.get()).as("the CRL read right after revoke() returned lists the serial").isTrue();
            }
        }
        X509CRL last = crl(revocations.crl());
        assertThat(last.getRevokedCertificates()).hasSize(MANY);
        long signs = crlNumber(revocations.crl()) - before;
        assertThat(signs).as("CRL re-signs for %d revocations", MANY).isBetween(1L, (long) MANY - 1);
    }

    @Test
    @DisplayName("a revocation after a quiet spell re-signs at once: the serial is listed when revoke() returns")
    void loneRevocationResigns() throws Exception {
        Revocations revocations = new Revocations(db, ca, NodeRepository.jdbi(), certs, AuditLog.jdbi(), clock);
        revocations.revoke("1001", Revocations.UNSPECIFIED, "tester");
        assertThat(crl(revocations.crl()).getRevokedCertificate(BigInteger.valueOf(0x1001))).isNotNull();
        long first = crlNumber(revocations.crl());
        revocations.revoke("1002", Revocations.UNSPECIFIED, "tester");
        assertThat(crl(revocations.crl()).getRevokedCertificate(BigInteger.valueOf(0x1002))).isNotNull();
        assertThat(crlNumber(revocations.crl())).isEqualTo(first + 1);
    }

    private static X509CRL crl(byte[] der) throws Exception {
        return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
    }

    private static long crlNumber(byte[] der) throws Exception {
        byte[] ext = crl(der).getExtensionValue("2.5.29.20");
        // OCTET STRING wrapping an INTEGER: 04 len 02 len value...
        return new BigInteger(1, Arrays.copyOfRange(ext, 4, ext.length)).longValue();
    }

    @Test
    @DisplayName("with no revocation for days the CRL is re-signed at half its validity and openssl never sees it expire")
    void theCrlIsResignedBeforeItExpires() throws Exception {
        var testClock = TestClock.atSystemTime();
        var revocations = new Revocations(db, ca, NodeRepository.jdbi(), certs, AuditLog.jdbi(), testClock,
                Duration.ofHours(2));
        X509CRL first = parse(revocations.crl());
        assertThat(revocations.refreshIfDue()).as("not due right after signing").isFalse();
        for (int hour = 1; hour <= 72; hour++) {
            testClock.advance(Duration.ofHours(1));
            revocations.refreshIfDue();
            X509CRL now = parse(revocations.crl());
            assertThat(now.getNextUpdate().toInstant()).as("hour " + hour).isAfter(testClock.instant());
        }
        X509CRL last = parse(revocations.crl());
        assertThat(last.getThisUpdate()).isAfter(first.getThisUpdate());
        Path file = dir.resolve("crl.der");
        Files.write(file, revocations.crl());
        var text = OpenSsl.run(dir, "crl", "-inform", "DER", "-in", file.toString(), "-noout",
                "-lastupdate", "-nextupdate");
        assertThat(text.exitCode()).as(text.stderr()).isZero();
        var fmt = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss yyyy 'GMT'", Locale.ROOT)
                .withZone(ZoneOffset.UTC);
        assertThat(text.stdout()).contains("nextUpdate=" + fmt.format(last.getNextUpdate().toInstant()));
        assertThat(Duration.between(last.getThisUpdate().toInstant(), last.getNextUpdate().toInstant()))
                .isEqualTo(Duration.ofHours(2));
        assertThat(revocations.refreshCheckInterval()).isEqualTo(Duration.ofMinutes(1));
    }

    private static X509CRL parse(byte[] der) throws Exception {
        return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
    }
}
