-- The client certificate (from our CA, for the key in sealed_key) this controller shows a peer over mutual TLS. Rows
-- from before it get one at their next call.
ALTER TABLE peers ADD COLUMN client_cert_pem TEXT;
