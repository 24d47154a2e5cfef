-- The CA key for ca.key-store: store (owned by the store package): one row, the key's PKCS#8 bytes sealed under the
-- key-encryption key (store.kek, outside the database) with the certificate's SHA-256 as associated data, so the
-- key opens only beside its own certificate; and the self-signed root certificate (DER, hex).
CREATE TABLE ca_key (
    id              TEXT PRIMARY KEY,
    key_sealed      TEXT NOT NULL,
    certificate_hex TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
