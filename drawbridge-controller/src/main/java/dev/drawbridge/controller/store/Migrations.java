package dev.drawbridge.controller.store;

import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;

/** Applies the one migration set under {@code db/migration} to either engine. */
final class Migrations {
    private Migrations() {}

    static void apply(DataSource ds, Dialect dialect) {
        configure(dialect).dataSource(ds).load().migrate();
    }

    /** The migration set with the engine's placeholders, still without a data source. */
    static FluentConfiguration configure(Dialect dialect) {
        return Flyway.configure()
                .locations("classpath:db/migration")
                .placeholders(placeholders(dialect));
    }

    /**
     * The only per-engine difference in the schema. Sort keys (node names) use byte order on both
     * engines, so keyset paging returns the same pages everywhere: SQLite compares TEXT in binary by
     * default, while PostgreSQL would follow the database locale unless told otherwise.
     */
    private static Map<String, String> placeholders(Dialect dialect) {
        return switch (dialect) {
            case SQLITE -> Map.of("binary_text", "TEXT");
            case POSTGRESQL -> Map.of("binary_text", "TEXT COLLATE \"C\"");
        };
    }
}
