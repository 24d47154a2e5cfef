-- Poll-only provisioning: what the conductor needs to drive a node and to resume after a restart.
-- One ADD COLUMN per statement: SQLite takes no more.
ALTER TABLE nodes ADD COLUMN system_uuid TEXT;
ALTER TABLE nodes ADD COLUMN mode TEXT NOT NULL DEFAULT 'poll';
-- The current job (JSON: action, phase, command id, parameters); NULL when no *ing state is active.
ALTER TABLE nodes ADD COLUMN job TEXT;
-- Every *ing state has a deadline; past it the node goes to error.
ALTER TABLE nodes ADD COLUMN deadline_at BIGINT;
-- Hex SHA-256 of the agent's TLS SubjectPublicKeyInfo, pinned after the ticket proof.
ALTER TABLE nodes ADD COLUMN pinned_fingerprint TEXT;
ALTER TABLE nodes ADD COLUMN last_seen BIGINT;
ALTER TABLE nodes ADD COLUMN progress TEXT;
ALTER TABLE nodes ADD COLUMN unreachable INTEGER NOT NULL DEFAULT 0;
CREATE INDEX nodes_deadline ON nodes (deadline_at);
-- HMAC key derived from the ticket secret, to check the agent's ticket proof (see TicketProof).
ALTER TABLE enrollment_tickets ADD COLUMN pin_key TEXT;
