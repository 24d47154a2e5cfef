-- The controller's schema, one file for SQLite and PostgreSQL alike: only portable types
-- (TEXT, BIGINT, INTEGER), timestamps as BIGINT epoch milliseconds, binary data as hex TEXT.
-- ${binary_text} is TEXT compared byte by byte on both engines (see Migrations).

CREATE TABLE nodes (
    id            TEXT PRIMARY KEY,
    name          ${binary_text} NOT NULL,
    macs          TEXT NOT NULL,          -- JSON array of lower-case colon-form MACs
    labels        TEXT NOT NULL,          -- JSON object
    bmc_address   TEXT,
    agent_address TEXT,
    state         TEXT NOT NULL,          -- NodeState.wire()
    reason        TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    version       BIGINT NOT NULL,
    CONSTRAINT nodes_name_unique UNIQUE (name)
);
-- Listing by state, in name order, with keyset paging.
CREATE INDEX nodes_state_name ON nodes (state, name);

-- Tickets belong to their node and go with it.
CREATE TABLE enrollment_tickets (
    id          TEXT PRIMARY KEY,
    node_id     TEXT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,            -- hex
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX enrollment_tickets_node ON enrollment_tickets (node_id);
CREATE INDEX enrollment_tickets_expires ON enrollment_tickets (expires_at);

-- Issued certificates outlive their node (audit, CRL), so node_id deliberately has no foreign key.
CREATE TABLE certificates (
    serial_hex  TEXT PRIMARY KEY,
    node_id     TEXT,
    profile     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    not_before  BIGINT NOT NULL,
    not_after   BIGINT NOT NULL,
    revoked_at  BIGINT,
    reason_code INTEGER NOT NULL,
    pem         TEXT NOT NULL
);
CREATE INDEX certificates_node ON certificates (node_id);
CREATE INDEX certificates_revoked ON certificates (revoked_at);

-- Named monotonic counters, each incremented by one UPDATE so concurrent callers never share a value.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('crl_number', 0);

-- The audit trail: a hash chain, see AuditLog.
CREATE TABLE audit_events (
    seq         BIGINT PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    detail      TEXT NOT NULL,            -- JSON object, keys sorted
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
-- One row: the last seq and hash. Appenders lock it, so the chain never forks.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY,
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
