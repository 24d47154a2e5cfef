package dev.drawbridge.controller.verify;

/** A trust verdict about a host. A verdict past its maximum age is {@link #UNKNOWN}, never "still trusted". */
public enum Verdict {
    TRUSTED, UNTRUSTED, UNKNOWN;

    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
