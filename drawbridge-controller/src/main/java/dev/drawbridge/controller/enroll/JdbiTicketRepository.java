package dev.drawbridge.controller.enroll;

import dev.drawbridge.controller.store.Sealer;
import dev.drawbridge.controller.store.StoreException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.statement.StatementContext;

/** {@link TicketRepository} over the {@code enrollment_tickets} table. */
final class JdbiTicketRepository implements TicketRepository {
    private final Sealer sealer;

    JdbiTicketRepository(Sealer sealer) {
        this.sealer = sealer;
    }

    private static final HexFormat HEX = HexFormat.of();

    @Override
    public void insert(Handle h, StoredTicket t) {
        try {
            h.createUpdate("INSERT INTO enrollment_tickets (id, node_id, secret_hash, expires_at, used_at, created_at)"
                            + " VALUES (:id, :node, :hash, :expires, :used, :created)")
                    .bind("id", t.id())
                    .bind("node", t.nodeId())
                    .bind("hash", HEX.formatHex(t.secretHash()))
                    .bind("expires", t.expiresAt().toEpochMilli())
                    .bind("used", t.usedAt().map(Instant::toEpochMilli).orElse(null))
                    .bind("created", t.createdAt().toEpochMilli())
                    .execute();
        } catch (JdbiException e) {
            throw StoreException.from(e);
        }
    }

    @Override
    public Optional<StoredTicket> find(Handle h, String id) {
        return h.createQuery("SELECT id, node_id, secret_hash, expires_at, used_at, created_at"
                        + " FROM enrollment_tickets WHERE id = :id")
                .bind("id", id)
                .map(JdbiTicketRepository::map)
                .findFirst();
    }

    @Override
    public boolean consume(Handle h, String id, Instant at) {
        // The condition is re-checked under the row's write lock, so of racing callers exactly one
        // sees a row change; PostgreSQL's READ COMMITTED re-evaluates it after the winner commits.
        // The pin key (enough to pass the conductor's key-pinning check) is dropped with the ticket's use: it is
        // needed only before enrollment, and a copy of the store must not hold live ones for used tickets.
        return h.createUpdate("UPDATE enrollment_tickets SET used_at = :at, pin_key = NULL WHERE id = :id"
                        + " AND used_at IS NULL")
                .bind("at", at.toEpochMilli())
                .bind("id", id)
                .execute() == 1;
    }

    @Override
    public int deleteExpired(Handle h, Instant before) {
        return h.createUpdate("DELETE FROM enrollment_tickets WHERE expires_at < :before")
                .bind("before", before.toEpochMilli())
                .execute();
    }

    @Override
    public void setPinKey(Handle h, String id, byte[] pinKey) {
        h.createUpdate("UPDATE enrollment_tickets SET pin_key = :key WHERE id = :id")
                .bind("key", sealer.seal(id, pinKey)).bind("id", id).execute();
    }

    @Override
    public Optional<byte[]> pinKey(Handle h, String id) {
        return h.createQuery("SELECT pin_key FROM enrollment_tickets WHERE id = :id AND pin_key IS NOT NULL")
                .bind("id", id).mapTo(String.class).findFirst()
                // A row written before sealing existed holds the key as plain hex.
                .map(v -> Sealer.isSealed(v) ? sealer.open(id, v) : HexFormat.of().parseHex(v));
    }

    private static StoredTicket map(ResultSet rs, StatementContext ctx) throws SQLException {
        long used = rs.getLong("used_at");
        Optional<Instant> usedAt = rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(used));
        return new StoredTicket(rs.getString("id"), rs.getString("node_id"), HEX.parseHex(rs.getString("secret_hash")),
                Instant.ofEpochMilli(rs.getLong("expires_at")), usedAt, Instant.ofEpochMilli(rs.getLong("created_at")));
    }
}
