package dev.drawbridge.controller.store;

import java.sql.SQLException;
import java.util.Optional;
import org.jdbi.v3.core.JdbiException;

/** A store operation failed; the transaction it ran in has been rolled back. */
public class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Maps a Jdbi failure onto the store's own exceptions, so callers never depend on Jdbi or on
     * which engine is underneath. A unique-constraint violation becomes {@link StoreConflict}.
     */
    public static StoreException from(JdbiException e) {
        Optional<SQLException> sql = sqlCause(e);
        if (sql.isPresent() && isUniqueViolation(sql.get())) {
            return new StoreConflict("already exists: " + sql.get().getMessage(), e);
        }
        return new StoreException("store operation failed: " + e.getMessage(), e);
    }

    /**
     * Whether the store could not be reached (connection refused or lost, server shutting down, no connection free
     * in time), as opposed to a statement it refused: the request may succeed if tried again later.
     */
    public boolean unavailable() {
        for (Throwable t = this; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLTransientConnectionException || t instanceof java.net.ConnectException
                    || t instanceof java.sql.SQLNonTransientConnectionException) {
                return true;
            }
            if (t instanceof SQLException s && s.getSQLState() != null
                    && (s.getSQLState().startsWith("08") || s.getSQLState().startsWith("57P"))) {
                return true;
            }
            if (t instanceof org.jdbi.v3.core.ConnectionException) {
                return true;
            }
        }
        return false;
    }

    private static Optional<SQLException> sqlCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    private static boolean isUniqueViolation(SQLException e) {
        // PostgreSQL: SQLSTATE 23505. SQLite: extended codes SQLITE_CONSTRAINT_UNIQUE (2067) and
        // SQLITE_CONSTRAINT_PRIMARYKEY (1555); the driver reports no SQLSTATE, hence the message check too.
        return "23505".equals(e.getSQLState())
                || e.getErrorCode() == 2067 || e.getErrorCode() == 1555
                || String.valueOf(e.getMessage()).contains("SQLITE_CONSTRAINT_UNIQUE")
                || String.valueOf(e.getMessage()).contains("SQLITE_CONSTRAINT_PRIMARYKEY");
    }
}
