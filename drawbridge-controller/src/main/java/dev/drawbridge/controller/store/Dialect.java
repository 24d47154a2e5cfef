package dev.drawbridge.controller.store;

/** The SQL engines the store runs on. One schema serves both; the few differences are switched on this. */
public enum Dialect {
    SQLITE, POSTGRESQL
}
