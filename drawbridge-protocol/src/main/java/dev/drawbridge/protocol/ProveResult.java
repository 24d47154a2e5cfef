package dev.drawbridge.protocol;

/** The result of {@code identity.prove_ticket}: the ticket's id and the proof (base64url) over the nonce and TLS key. */
public record ProveResult(String ticketId, String proof) {
    public ProveResult {
        ReplyFields.required("ticket_id", ticketId);
        ReplyFields.required("proof", proof);
    }
}
