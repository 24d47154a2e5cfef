-- Whether the node's attestation key was bound to its TPM's endorsement key at enrollment
-- (TPM2_MakeCredential / TPM2_ActivateCredential). A software TPM has no EK to bind to.
ALTER TABLE nodes ADD COLUMN ak_bound INTEGER NOT NULL DEFAULT 0;
