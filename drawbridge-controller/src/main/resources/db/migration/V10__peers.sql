-- Peers this controller calls: where, the CA that signs their TLS certificates, and the OAuth client this controller
-- registered with each (its private key and registration token sealed under store.kek). Owned by the trust package.
CREATE TABLE peers (
    id                 TEXT PRIMARY KEY,
    url                TEXT NOT NULL UNIQUE,
    ca_pem             TEXT NOT NULL,
    client_id          TEXT NOT NULL,
    sealed_key         TEXT NOT NULL,
    sealed_reg_token   TEXT NOT NULL,
    peer_id            TEXT,
    peer_role          TEXT,
    added_at           BIGINT NOT NULL,
    last_contact_at    BIGINT,
    last_status        TEXT,
    last_detail        TEXT
);
