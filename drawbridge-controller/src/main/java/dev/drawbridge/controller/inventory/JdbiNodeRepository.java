package dev.drawbridge.controller.inventory;

import dev.drawbridge.controller.store.StoreException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.statement.Update;

/** {@link NodeRepository} in portable SQL over the {@code nodes} table. */
final class JdbiNodeRepository implements NodeRepository {
    /** Every state change is audited in the transaction that makes it. */
    private final AuditLog audit = AuditLog.jdbi();
    private static final String COLUMNS =
            "id, name, macs, labels, bmc_address, agent_address, state, reason, created_at, updated_at, version,"
            + " system_uuid, mode, last_seen, progress, unreachable, bmc_username, bmc_password_ref";

    @Override
    public Node create(Handle h, NewNode n, Instant now) {
        Instant at = Instant.ofEpochMilli(now.toEpochMilli());
        Node node = new Node(UUID.randomUUID().toString(), n.name(), n.macs(), n.labels(), n.bmcAddress(),
                n.agentAddress(), NodeState.DISCOVERED, Optional.empty(), at, at, 1, n.systemUuid(), n.mode(),
                Optional.empty(), Optional.empty(), false, n.bmcUsername(), n.bmcPasswordRef());
        try {
            h.createUpdate("INSERT INTO nodes (" + COLUMNS + ") VALUES (:id, :name, :macs, :labels, :bmc, :agent,"
                            + " :state, NULL, :at, :at, :version, :uuid, :mode, NULL, NULL, 0, :bmcuser, :bmcref)")
                    .bind("id", node.id())
                    .bind("name", node.name())
                    .bind("macs", JsonColumns.write(node.macs()))
                    .bind("labels", JsonColumns.write(node.labels()))
                    .bind("bmc", node.bmcAddress().orElse(null))
                    .bind("agent", node.agentAddress().orElse(null))
                    .bind("state", node.state().wire())
                    .bind("at", at.toEpochMilli())
                    .bind("version", node.version())
                    .bind("uuid", node.systemUuid().orElse(null))
                    .bind("mode", node.mode())
                    .bind("bmcuser", node.bmcUsername().orElse(null))
                    .bind("bmcref", node.bmcPasswordRef().orElse(null))
                    .execute();
        } catch (JdbiException e) {
            throw StoreException.from(e);
        }
        return node;
    }

    @Override
    public Optional<Node> find(Handle h, String idOrName) {
        // An id match wins over a name match, should some node be named like another's id.
        return h.createQuery("SELECT " + COLUMNS + " FROM nodes WHERE id = :key OR name = :key"
                        + " ORDER BY CASE WHEN id = :key THEN 0 ELSE 1 END")
                .bind("key", idOrName)
                .map(JdbiNodeRepository::map)
                .findFirst();
    }

    @Override
    public List<Node> findByIds(Handle h, Collection<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return IdSet.query(h, "SELECT " + COLUMNS + " FROM nodes WHERE " + IdSet.MARK, ids)
                .map(JdbiNodeRepository::map).list();
    }

    @Override
    public List<Node> list(Handle h, NodeQuery query) {
        Optional<NodeState> state = query.state();
        Optional<String> afterName = query.afterName();
        // Conditions are added only when present: PostgreSQL cannot type a bare "(:x IS NULL OR ...)".
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM nodes WHERE 1 = 1");
        state.ifPresent(s -> sql.append(" AND state = :state"));
        afterName.ifPresent(a -> sql.append(" AND name > :after"));
        sql.append(" ORDER BY name LIMIT :limit");
        Query q = h.createQuery(sql.toString()).bind("limit", query.limit());
        state.ifPresent(s -> q.bind("state", s.wire()));
        afterName.ifPresent(a -> q.bind("after", a));
        return q.map(JdbiNodeRepository::map).list();
    }

    @Override
    public Optional<Node> patch(Handle h, String id, NodePatch p, Instant now) {
        // Only the present fields are written, in one UPDATE, so two racing patches of different
        // fields both survive; "version = version + 1" counts both as well.
        StringBuilder sql = new StringBuilder("UPDATE nodes SET updated_at = :at, version = version + 1");
        p.macs().ifPresent(v -> sql.append(", macs = :macs"));
        p.labels().ifPresent(v -> sql.append(", labels = :labels"));
        p.bmcAddress().ifPresent(v -> sql.append(", bmc_address = :bmc"));
        p.agentAddress().ifPresent(v -> sql.append(", agent_address = :agent"));
        p.systemUuid().ifPresent(v -> sql.append(", system_uuid = :uuid"));
        p.bmcUsername().ifPresent(v -> sql.append(", bmc_username = :bmcuser"));
        p.bmcPasswordRef().ifPresent(v -> sql.append(", bmc_password_ref = :bmcref"));
        return h.inTransaction(tx -> {
            Update update = tx.createUpdate(sql.append(" WHERE id = :id").toString())
                    .bind("at", now.toEpochMilli())
                    .bind("id", id);
            p.macs().ifPresent(v -> update.bind("macs", JsonColumns.write(v)));
            p.labels().ifPresent(v -> update.bind("labels", JsonColumns.write(v)));
            p.bmcAddress().ifPresent(v -> update.bind("bmc", v));
            p.agentAddress().ifPresent(v -> update.bind("agent", v));
            p.systemUuid().ifPresent(v -> update.bind("uuid", v));
            p.bmcUsername().ifPresent(v -> update.bind("bmcuser", v));
            p.bmcPasswordRef().ifPresent(v -> update.bind("bmcref", v));
            return update.execute() == 1 ? find(tx, id) : Optional.<Node>empty();
        });
    }

    @Override
    public Optional<Node> transition(Handle h, String id, NodeState from, Move move, Instant now) {
        Lifecycle.Event event = move.event();
        NodeState to = Lifecycle.next(from, event).orElseThrow(() -> new IllegalStateException(
                "a node in state " + from.wire() + " cannot take " + event.name().toLowerCase(Locale.ROOT)
                        + "; allowed: " + Lifecycle.allowed(from)));
        // Conditional on the state we decided from: a racing transition makes this one a no-op.
        int n = h.createUpdate("UPDATE nodes SET state = :to, reason = :reason, deadline_at = :deadline, job = :job,"
                        + " progress = NULL, updated_at = :at, version = version + 1 WHERE id = :id AND state = :from")
                .bind("to", to.wire())
                .bind("reason", move.reason().orElse(null))
                .bind("deadline", move.deadline().map(Instant::toEpochMilli).orElse(null))
                .bind("job", move.job().orElse(null))
                .bind("at", now.toEpochMilli())
                .bind("id", id)
                .bind("from", from.wire())
                .execute();
        if (n != 1) {
            return Optional.empty();
        }
        Node moved = find(h, id).orElseThrow();
        Map<String, String> detail = new LinkedHashMap<>();
        detail.put("from", from.wire());
        detail.put("to", to.wire());
        detail.put("event", event.name().toLowerCase(Locale.ROOT));
        move.reason().ifPresent(r -> detail.put("reason", r));
        audit.append(h, "node.state", moved.name(), event == Lifecycle.Event.FAIL || event == Lifecycle.Event.TIMEOUT
                ? "error" : "granted", detail, now);
        return Optional.of(moved);
    }

    @Override
    public boolean delete(Handle h, String id) {
        return h.createUpdate("DELETE FROM nodes WHERE id = :id").bind("id", id).execute() == 1;
    }

    @Override
    public long count(Handle h) {
        return h.createQuery("SELECT COUNT(*) FROM nodes").mapTo(Long.class).one();
    }

    private static Node map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new Node(rs.getString("id"), rs.getString("name"), JsonColumns.strings(rs.getString("macs")),
                JsonColumns.stringMap(rs.getString("labels")), Optional.ofNullable(rs.getString("bmc_address")),
                Optional.ofNullable(rs.getString("agent_address")),
                NodeState.valueOf(rs.getString("state").toUpperCase(Locale.ROOT)),
                Optional.ofNullable(rs.getString("reason")), Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("updated_at")), rs.getLong("version"),
                Optional.ofNullable(rs.getString("system_uuid")), rs.getString("mode"), optionalInstant(rs, "last_seen"),
                Optional.ofNullable(rs.getString("progress")), rs.getInt("unreachable") != 0,
                Optional.ofNullable(rs.getString("bmc_username")), Optional.ofNullable(rs.getString("bmc_password_ref")));
    }

    private static Optional<Instant> optionalInstant(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(v));
    }
}
