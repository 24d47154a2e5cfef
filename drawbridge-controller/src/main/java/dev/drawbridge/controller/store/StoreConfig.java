package dev.drawbridge.controller.store;

/**
 * Where the controller keeps its state (config key {@code store}).
 *
 * @param url         empty (the default) for the embedded SQLite file {@code drawbridge.db} in the data
 *                    directory; otherwise a {@code jdbc:postgresql://host:port/db} URL
 * @param user        database user for PostgreSQL; ignored for SQLite (default empty)
 * @param password    database password for PostgreSQL; ignored for SQLite (default empty)
 * @param maxPoolSize most connections held open at once (default 10)
 */
public record StoreConfig(String url, String user, String password, int maxPoolSize) {
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
        return new StoreConfig("", "", "", DEFAULT_MAX_POOL_SIZE);
    }

    /** A PostgreSQL store with the default pool size. */
    public static StoreConfig postgres(String url, String user, String password) {
        return new StoreConfig(url, user, password, DEFAULT_MAX_POOL_SIZE);
    }

    /** Never prints the password: configs end up in logs. */
    @Override
    public String toString() {
        return "StoreConfig[url=" + url + ", user=" + user + ", password=" + (password.isEmpty() ? "" : "***")
                + ", maxPoolSize=" + maxPoolSize + "]";
    }
}
