-- Continuous attestation, placement and fencing.
ALTER TABLE nodes ADD COLUMN placement_disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN capacity_cpus INTEGER;
ALTER TABLE nodes ADD COLUMN capacity_memory_mb BIGINT;
-- The latest verdict and when it was made; a verdict older than its maximum age counts as unknown.
ALTER TABLE nodes ADD COLUMN verdict TEXT;
ALTER TABLE nodes ADD COLUMN verdict_at BIGINT;
-- The attestation key taken at enrollment (TPM2B_PUBLIC and qualified name, base64) and the PCR baseline
-- captured then (JSON object of PCR index to hex), the node's reference values until an operator accepts new ones.
ALTER TABLE nodes ADD COLUMN ak_public TEXT;
ALTER TABLE nodes ADD COLUMN ak_qualified_name TEXT;
ALTER TABLE nodes ADD COLUMN reference_pcrs TEXT;

-- Workloads placed on trusted hosts.
CREATE TABLE instances (
    id         TEXT PRIMARY KEY,
    name       ${binary_text} NOT NULL,
    cpus       INTEGER NOT NULL,
    memory_mb  BIGINT NOT NULL,
    node_id    TEXT,
    state      TEXT NOT NULL,            -- placed | unplaced
    reason     TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT instances_name_unique UNIQUE (name)
);
CREATE INDEX instances_node ON instances (node_id);

-- Attestation history: one row per verdict.
CREATE TABLE attestations (
    id       TEXT PRIMARY KEY,
    node_id  TEXT NOT NULL,
    at       BIGINT NOT NULL,
    verdict  TEXT NOT NULL,              -- trusted | untrusted | unknown
    reasons  TEXT NOT NULL,              -- JSON array of {code, detail}
    nonce    TEXT NOT NULL
);
CREATE INDEX attestations_node_at ON attestations (node_id, at);

-- Fence records: ordered, idempotent steps, each with its stored status, so a restart resumes them.
CREATE TABLE fences (
    id          TEXT PRIMARY KEY,
    node_id     TEXT NOT NULL,
    trigger_kind TEXT NOT NULL,          -- attestation | operator | unreachable
    reason      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    status      TEXT NOT NULL,           -- running | done | failed
    created_at  BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX fences_status ON fences (status);
CREATE TABLE fence_steps (
    fence_id   TEXT NOT NULL,
    ordinal    INTEGER NOT NULL,
    step       TEXT NOT NULL,
    status     TEXT NOT NULL,            -- pending | done | skipped | failed
    detail     TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (fence_id, ordinal)
);
