-- Devices heard announcing _drawbridge._tcp over mDNS, one row per announced id. Owned by the discovery package.
-- A device is never trusted for being here: node_id is only the inventory node it matched, and flagged says why a
-- device that came back with another key is not matched.
CREATE TABLE discovered (
    id           TEXT PRIMARY KEY,
    role         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    fingerprint  TEXT NOT NULL,
    instance     TEXT NOT NULL,
    addresses    TEXT NOT NULL,
    port         INTEGER NOT NULL,
    first_seen   BIGINT NOT NULL,
    last_seen    BIGINT NOT NULL,
    node_id      TEXT,
    matched_by   TEXT,
    flagged      TEXT
);
