package dev.drawbridge.pki;

/** Key types the CA can hold for itself. Node keys are checked separately by {@link CsrPolicy}. */
public enum KeyAlgorithm {
    EC_P256,
    EC_P384,
    RSA_3072
}
