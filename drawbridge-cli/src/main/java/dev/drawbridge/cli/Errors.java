package dev.drawbridge.cli;

import dev.drawbridge.controller.config.ConfigException;
import java.net.ConnectException;

/** One-line descriptions of failures for people, without stack traces for expected errors. */
final class Errors {
    private Errors() {}

    static String describe(Throwable e) {
        if (e instanceof CliException || e instanceof ConfigException) {
            return e.getMessage();
        }
        if (e instanceof ConnectException) {
            return "cannot reach the controller (" + e.getMessage() + "); is it running? Set DRAWBRIDGE_URL or --data-dir";
        }
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return msg + (e.getCause() != null && e.getCause() != e ? " (" + describe(e.getCause()) + ")" : "");
    }
}
