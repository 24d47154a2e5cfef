package dev.drawbridge.controller.inventory;

import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/**
 * A query about a set of node ids ({@code id IN the set}). On PostgreSQL the set is one array parameter
 * ({@code id = ANY(:ids)}): one prepared statement whatever the set's size, and nothing bound per id (a member of a
 * cluster asks for the prints of its share, thousands of ids, every ten seconds). SQLite has no arrays, so there it is
 * a list of parameters ({@code IN (...)}); callers keep the set within SQLite's limit of 32,766 parameters.
 */
final class IdSet {
    /** Where the condition on the ids goes in the SQL given to {@link #query}. */
    static final String MARK = "<id in set>";

    private IdSet() {}

    /** The query {@code sql} with {@link #MARK} replaced by a condition that {@code id} is one of {@code ids}. */
    static Query query(Handle h, String sql, Collection<String> ids) {
        if (postgres(h)) {
            return h.createQuery(sql.replace(MARK, "id = ANY(:ids)")).bindArray("ids", String.class, ids);
        }
        return h.createQuery(sql.replace(MARK, "id IN (<ids>)")).bindList("ids", List.copyOf(ids));
    }

    private static boolean postgres(Handle h) {
        try {
            return "PostgreSQL".equals(h.getConnection().getMetaData().getDatabaseProductName());
        } catch (SQLException e) {
            throw new IllegalStateException("cannot tell which database this connection is to", e);
        }
    }
}
