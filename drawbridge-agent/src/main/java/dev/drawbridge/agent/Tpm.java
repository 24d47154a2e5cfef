package dev.drawbridge.agent;

import dev.drawbridge.protocol.AkResult;
import dev.drawbridge.protocol.CredentialResult;
import dev.drawbridge.protocol.QuoteResult;
import dev.drawbridge.attestation.PcrSelection;

/**
 * The agent's TPM: its attestation key and quotes over a fresh nonce, in the byte formats tpm2-tools
 * writes (TPM2B_PUBLIC, TPMS_ATTEST, TPMT_SIGNATURE, the serialized PCR file), base64 in JSON.
 */
interface Tpm {
    /** {@code ak_public} (TPM2B_PUBLIC) and {@code ak_qualified_name}, base64. */
    AkResult akInfo();

    /** {@code attest}, {@code signature} and {@code pcrs}, base64. */
    QuoteResult quote(byte[] nonce, PcrSelection selection);

    /**
     * TPM2_ActivateCredential of a tpm2-tools credential file made for this TPM's EK and AK: returns
     * {@code secret} (base64). Only a TPM holding both keys can recover it, which binds the AK to the EK.
     */
    default CredentialResult activateCredential(byte[] credentialFile) {
        throw new CommandFailed("this TPM has no endorsement key to activate credentials with");
    }
}
