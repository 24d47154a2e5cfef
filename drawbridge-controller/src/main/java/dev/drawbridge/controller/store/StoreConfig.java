package dev.drawbridge.controller.store;

/**
 * Where the controller keeps its state (config key {@code store}).
 *
 * @param url         empty (the default) for the embedded SQLite file {@code drawbridge.db} in the data
 *                    directory; otherwise a {@code jdbc:postgresql://host:port/db} URL
 * @param user        database user for PostgreSQL; ignored for SQLite (default empty)
 * @param password    database password for PostgreSQL; ignored for SQLite (default empty)
 * @param maxPoolSize most connections held open at once (default 10)
 * @param kekFile     the key-encryption key that seals secrets in the store (OAuth signing keys, pin keys, and the
 *                    CA key with {@code ca.key-store: store}): 32 random bytes, base64url. Empty (the default):
 *                    {@code store.kek} in the data directory, made at first start. Every controller sharing a store
 *                    needs the same key; a configured file must exist
 */
public record StoreConfig(String url, String user, String password, int maxPoolSize, String kekFile) {
    public static final int DEFAULT_MAX_POOL_SIZE = 10;

    public StoreConfig {
        if (maxPoolSize < 1) {
            throw new IllegalArgumentException("store max-pool-size must be at least 1, was " + maxPoolSize);
        }
        if (!url.isEmpty() && !url.startsWith("jdbc:postgresql:") && !url.matches("jdbc:sqlite:/[^?]+")) {
            throw new IllegalArgumentException("store url must be empty (SQLite in the data directory),"
                    + " jdbc:sqlite:/absolute/path, or a jdbc:postgresql: URL");
        }
    }

    /** The embedded SQLite store with default settings. */
    public static StoreConfig defaults() {
        return new StoreConfig("", "", "", DEFAULT_MAX_POOL_SIZE, "");
    }

    /** A PostgreSQL store with the default pool size. */
    public static StoreConfig postgres(String url, String user, String password) {
        return new StoreConfig(url, user, password, DEFAULT_MAX_POOL_SIZE, "");
    }

    /** The same store with the key-encryption key read from {@code file}. */
    public StoreConfig withKekFile(String file) {
        return new StoreConfig(url, user, password, maxPoolSize, file);
    }

    /** Never prints the password: configs end up in logs. */
    @Override
    public String toString() {
        return "StoreConfig[url=" + url + ", user=" + user + ", password=" + (password.isEmpty() ? "" : "***")
                + ", maxPoolSize=" + maxPoolSize + ", kekFile=" + kekFile + "]";
    }
}
