package dev.drawbridge.controller.verify;

import java.util.Locale;

/**
 * How far a host is trusted, from its latest attestation verdict. A verdict past its maximum age is {@link #UNKNOWN},
 * never "still trusted". (A single quote's outcome is {@code dev.drawbridge.attestation.Verdict}.)
 */
public enum Trust {
    TRUSTED, UNTRUSTED, UNKNOWN;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
