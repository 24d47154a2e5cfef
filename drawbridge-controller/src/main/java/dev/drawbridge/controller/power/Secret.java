package dev.drawbridge.controller.power;

import java.util.Arrays;

/**
 * A BMC password. It prints as {@code ***} so that it cannot leak through a record's toString, a log line
 * or an exception message, and it can scrub itself out of text a tool printed.
 */
public final class Secret {
    private final char[] value;

    private Secret(char[] value) {
        this.value = value;
    }

    public static Secret of(String value) {
        return new Secret(value.toCharArray());
    }

    public static Secret of(char[] value) {
        return new Secret(value.clone());
    }

    /** The password itself, for handing to a BMC client at the last moment. */
    public String reveal() {
        return new String(value);
    }

    /** The text with every occurrence of this secret replaced, for messages built from a tool's output. */
    public String redact(String text) {
        return value.length == 0 ? text : text.replace(reveal(), "***");
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Secret secret && Arrays.equals(value, secret.value);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "***";
    }
}
