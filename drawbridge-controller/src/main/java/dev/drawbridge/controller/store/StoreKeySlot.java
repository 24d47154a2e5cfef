package dev.drawbridge.controller.store;

import dev.drawbridge.pki.SealedKeySlot;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The CA key in the store ({@code ca.key-store: store}; table {@code ca_key}): sealed by {@link Sealer} under the
 * key-encryption key, which stays outside the database, so a dump, a replica or a backup of the store alone holds
 * no usable key. Members of a cluster that share the store and the key-encryption key all reach the one CA key.
 */
public final class StoreKeySlot implements SealedKeySlot {
    private static final String ID = "root";
    private static final HexFormat HEX = HexFormat.of();

    private final Database db;
    private final Sealer sealer;

    public StoreKeySlot(Database db, Sealer sealer) {
        this.db = db;
        this.sealer = sealer;
    }

    @Override
    public Optional<Contents> read() {
        return db.read(h -> h.createQuery("SELECT key_sealed, certificate_hex FROM ca_key WHERE id = :id")
                .bind("id", ID).map((rs, c) -> {
                    byte[] certificate = HEX.parseHex(rs.getString("certificate_hex"));
                    byte[] key;
                    try {
                        key = sealer.open(owner(certificate), rs.getString("key_sealed"));
                    } catch (IllegalStateException e) {
                        throw new IllegalStateException("the CA key in the store does not open: this controller's"
                                + " store.kek is not the one it was sealed with (every member needs the same)", e);
                    }
                    return new Contents(key, certificate);
                }).findFirst());
    }

    @Override
    public boolean writeIfAbsent(Contents contents) {
        String sealed = sealer.seal(owner(contents.certificateDer()), contents.pkcs8());
        return db.inTransaction(h -> h.createUpdate("INSERT INTO ca_key (id, key_sealed, certificate_hex, created_at)"
                        + " VALUES (:id, :key, :cert, :now) ON CONFLICT (id) DO NOTHING")
                .bind("id", ID).bind("key", sealed).bind("cert", HEX.formatHex(contents.certificateDer()))
                .bind("now", System.currentTimeMillis()).execute()) == 1;
    }

    /** The associated data: the key opens only beside the certificate it was sealed with. */
    private static String owner(byte[] certificateDer) {
        try {
            return "ca-key:" + HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(certificateDer));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
