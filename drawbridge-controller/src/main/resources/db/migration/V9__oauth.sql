-- OAuth 2.0 clients registered by DCR (RFC 7591), the authorization server's signing keys (sealed under the data
-- directory's store.kek), and revoked access tokens, kept until they expire. Owned by the trust package.
CREATE TABLE oauth_clients (
    client_id          TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    auth_method        TEXT NOT NULL,
    jwks               TEXT,
    cert_thumbprint    TEXT,
    scopes             TEXT NOT NULL,
    status             TEXT NOT NULL,
    node_id            TEXT,
    registration_token TEXT NOT NULL,
    metadata           TEXT NOT NULL,
    decision           TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    revoked_before     BIGINT NOT NULL
);
CREATE INDEX oauth_clients_node ON oauth_clients (node_id);

CREATE TABLE oauth_keys (
    kid        TEXT PRIMARY KEY,
    sealed_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);

CREATE TABLE oauth_revoked_tokens (
    jti        TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);
CREATE INDEX oauth_revoked_tokens_expiry ON oauth_revoked_tokens (expires_at);
