package dev.drawbridge.controller.enroll;

import dev.drawbridge.controller.store.Sealer;
import java.time.Instant;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** Enrollment tickets in the store; they are deleted with their node. */
public interface TicketRepository {

    /** The SQL implementation, for both engines, sealing pin keys under a key that lives only in this process. */
    static TicketRepository jdbi() {
        return new JdbiTicketRepository(Sealer.ephemeral());
    }

    /** The SQL implementation, sealing pin keys at rest under {@code kek} (32 bytes, kept outside the store). */
    static TicketRepository jdbi(byte[] kek) {
        return new JdbiTicketRepository(new Sealer(kek));
    }

    /** @throws dev.drawbridge.controller.store.StoreConflict when the id is taken */
    void insert(Handle h, StoredTicket ticket);

    Optional<StoredTicket> find(Handle h, String id);

    /**
     * Marks the ticket used. True only for the one call that did so: a ticket is consumed by its
     * first use, however many requests race for it.
     */
    boolean consume(Handle h, String id, Instant at);

    /** Deletes tickets that expired before the given time, used or not; returns how many. */
    int deleteExpired(Handle h, Instant before);

    /** Stores the key that checks the agent's ticket proof (HMAC of the secret, see TicketProof). */
    void setPinKey(Handle h, String id, byte[] pinKey);

    /** The ticket's proof key, when it was made for a poll-mode bootstrap payload. */
    Optional<byte[]> pinKey(Handle h, String id);
}
