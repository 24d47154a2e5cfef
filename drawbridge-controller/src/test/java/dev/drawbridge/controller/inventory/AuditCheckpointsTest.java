package dev.drawbridge.controller.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.StoreConfig;
import dev.drawbridge.pki.CaKeyStores;
import dev.drawbridge.pki.CaSettings;
import dev.drawbridge.pki.CertificateAuthority;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Offline tampering with the audit trail is found, and the first bad row (or the missing tail) is named. */
class AuditCheckpointsTest {
    private static final int EVENTS = 8;
    @TempDir Path dir;
    Database db;
    CertificateAuthority ca;
    final AuditLog audit = AuditLog.jdbi();

    @BeforeEach
    void trail() {
        db = Database.open(StoreConfig.defaults(), dir);
        ca = CertificateAuthority.open(CaKeyStores.pkcs12(dir.resolve("ca.p12"), "pw".toCharArray()),
                CaSettings.defaults());
        for (int i = 1; i <= EVENTS; i++) {
            int n = i;
            db.inTransaction(h -> audit.append(h, "node.create", "node-" + n, "granted", Map.of("actor", "admin"),
                    Instant.now()));
        }
        new AuditCheckpoints(db, dir.resolve(AuditCheckpoints.FILE), ca::signJws, Clock.systemUTC()).write();
    }

    @AfterEach
    void close() {
        db.close();
    }

    private AuditCheckpoints.Result verify() throws Exception {
        return AuditCheckpoints.verify(AuditCheckpoints.all(db, audit),
                Files.readAllLines(dir.resolve(AuditCheckpoints.FILE)), ca.root());
    }

    private void sql(String statement) {
        db.inTransaction(h -> h.createUpdate(statement).execute());
    }

    @Test
    @DisplayName("an untouched trail checks out against its signed checkpoint")
    void untouched() throws Exception {
        var r = verify();
        assertThat(r.ok()).as(r.message()).isTrue();
        assertThat(r.checkpointSeq()).isEqualTo(EVENTS);
    }

    @Test
    @DisplayName("a row edited offline is named")
    void edited() throws Exception {
        sql("UPDATE audit_events SET subject = 'mallory' WHERE seq = 3");
        assertThat(verify().firstBad()).contains(3L);
    }

    @Test
    @DisplayName("a row deleted offline is found at the row after it")
    void deleted() throws Exception {
        sql("DELETE FROM audit_events WHERE seq = 3");
        var r = verify();
        assertThat(r.ok()).isFalse();
        assertThat(r.firstBad()).contains(4L);
    }

    @Test
    @DisplayName("two rows swapped offline are found at the first")
    void reordered() throws Exception {
        sql("UPDATE audit_events SET seq = -1 WHERE seq = 2");
        sql("UPDATE audit_events SET seq = 2 WHERE seq = 3");
        sql("UPDATE audit_events SET seq = 3 WHERE seq = -1");
        assertThat(verify().firstBad()).contains(2L);
    }

    @Test
    @DisplayName("a tail removed with the head rewound is found by the checkpoint, naming the first missing row")
    void tailRemovedHeadRewound() throws Exception {
        sql("DELETE FROM audit_events WHERE seq > 5");
        sql("UPDATE audit_head SET seq = 5, hash = (SELECT hash FROM audit_events WHERE seq = 5) WHERE id = 1");
        var r = verify();
        assertThat(r.ok()).isFalse();
        assertThat(r.firstBad()).contains(6L);
        assertThat(r.message()).contains("removed");
    }

    @Test
    @DisplayName("a chain recomputed after an edit links, but does not match the signed checkpoint")
    void chainRecomputed() throws Exception {
        sql("UPDATE audit_events SET subject = 'mallory' WHERE seq = 2");
        List<AuditEvent> events = AuditCheckpoints.all(db, audit);
        String prev = events.getFirst().hash();
        for (AuditEvent e : events.subList(1, events.size())) {
            String hash = AuditChain.hash(prev, e.seq(), e.at(), e.kind(), e.subject(), e.outcome(), e.detail());
            String p = prev;
            db.inTransaction(h -> h.createUpdate("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE seq = :s")
                    .bind("p", p).bind("h", hash).bind("s", e.seq()).execute());
            prev = hash;
        }
        assertThat(AuditLog.verify(AuditCheckpoints.all(db, audit))).as("the chain itself links again").isEmpty();
        var r = verify();
        assertThat(r.ok()).isFalse();
        assertThat(r.message()).contains("recomputed");
    }

    @Test
    @DisplayName("a checkpoint line signed by another key is ignored, not trusted")
    void forgedCheckpointIgnored() throws Exception {
        CertificateAuthority other = CertificateAuthority.open(CaKeyStores.pkcs12(dir.resolve("other.p12"),
                "pw".toCharArray()), CaSettings.defaults());
        Files.writeString(dir.resolve(AuditCheckpoints.FILE), other.signJws("{\"v\":1,\"seq\":3,\"hash\":\"00\"}") + "\n",
                StandardOpenOption.APPEND);
        var r = verify();
        assertThat(r.ok()).as(r.message()).isTrue();
        assertThat(r.message()).contains("did not verify");
    }
}
