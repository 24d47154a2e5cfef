-- Config-drive images served to a node's BMC over Redfish virtual media, one row per insertion. Owned by the media
-- package. The URL's token is kept only as its SHA-256; the image itself (it holds a one-time ticket) is kept in the
-- controller's memory only, so a restart voids an unfetched URL but still ejects what it inserted.
CREATE TABLE virtual_media (
    id            TEXT PRIMARY KEY,
    node_id       TEXT NOT NULL,
    token_sha256  TEXT NOT NULL UNIQUE,
    ticket_id     TEXT NOT NULL,
    bmc           TEXT NOT NULL,
    state         TEXT NOT NULL,
    bytes         BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    fetched_at    BIGINT,
    fetched_by    TEXT,
    ejected_at    BIGINT,
    attempts      INTEGER NOT NULL,
    detail        TEXT NOT NULL
);
CREATE INDEX virtual_media_node ON virtual_media (node_id);
CREATE INDEX virtual_media_state ON virtual_media (state);
