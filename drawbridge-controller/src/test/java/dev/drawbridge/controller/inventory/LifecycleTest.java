package dev.drawbridge.controller.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drawbridge.controller.inventory.Lifecycle.Event;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.StoreConfig;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lifecycle table, cell by cell: every state and event, allowed or refused, against a table written out here by
 * hand from DESIGN.md; and the repository's one way to change a state, which refuses what the table refuses, loses
 * a race without writing, and audits every move in the same transaction.
 */
class LifecycleTest {
    /** "from event to" for every allowed move; every other pair is refused. */
    private static final String ALLOWED = """
            discovered manage enrolling
            error manage enrolling
            enrolling done manageable
            manageable provide cleaning
            cleaning done available
            available deploy deploying
            deploying done active
            active undeploy cleaning
            active rescue rescuing
            available rescue rescuing
            rescuing done rescue
            rescue unrescue cleaning
            fenced readmit enrolling
            enrolling fail error
            cleaning fail error
            deploying fail error
            rescuing fail error
            enrolling timeout error
            cleaning timeout error
            deploying timeout error
            rescuing timeout error
            discovered fence fenced
            enrolling fence fenced
            manageable fence fenced
            cleaning fence fenced
            available fence fenced
            deploying fence fenced
            active fence fenced
            rescuing fence fenced
            rescue fence fenced
            error fence fenced
            discovered retire retired
            manageable retire retired
            available retire retired
            error retire retired
            """;

    private static Map<String, NodeState> expected() {
        Map<String, NodeState> out = new HashMap<>();
        ALLOWED.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(l -> {
            String[] p = l.split(" ");
            out.put(p[0] + " " + p[1], NodeState.valueOf(p[2].toUpperCase(Locale.ROOT)));
        });
        return out;
    }

    @Test
    @DisplayName("every state x event cell is allowed exactly as DESIGN.md's table says, and refused otherwise")
    void everyCell() {
        Map<String, NodeState> table = expected();
        int allowed = 0;
        for (NodeState from : NodeState.values()) {
            for (Event e : Event.values()) {
                String cell = from.wire() + " " + e.name().toLowerCase(Locale.ROOT);
                assertThat(Lifecycle.next(from, e)).as(cell).isEqualTo(Optional.ofNullable(table.get(cell)));
                assertThat(Lifecycle.allowed(from).contains(e)).as("allowed(" + cell + ")")
                        .isEqualTo(table.containsKey(cell));
                allowed += table.containsKey(cell) ? 1 : 0;
            }
        }
        assertThat(allowed).as("allowed moves").isEqualTo(table.size()).isEqualTo(35);
        assertThat(Lifecycle.allowed(NodeState.RETIRED)).as("retired is final").isEmpty();
        assertThat(Lifecycle.allowed(NodeState.FENCED)).as("the only way out of fenced").containsExactly(Event.READMIT);
    }

    @TempDir Path dir;

    @Test
    @DisplayName("the repository moves by the table, audits each move with it, refuses others and loses races quietly")
    void repositoryTransitions() {
        NodeRepository nodes = NodeRepository.jdbi();
        AuditLog audit = AuditLog.jdbi();
        Instant now = Instant.parse("2026-12-06T12:00:00Z");
        try (Database db = Database.open(StoreConfig.defaults(), dir)) {
            Node n = db.inTransaction(h -> nodes.create(h, new NewNode("node-l", List.of("52:54:00:00:00:09"),
                    Map.of(), Optional.empty(), Optional.empty(), Optional.empty(), "poll", Optional.empty(),
                    Optional.empty()), now));
            Optional<Node> moved = db.inTransaction(h -> nodes.transition(h, n.id(), NodeState.DISCOVERED, 
                    Move.by(Event.MANAGE).until(now.plusSeconds(60)).withJob("{\"action\":\"manage\"}"), now));
            assertThat(moved).map(Node::state).contains(NodeState.ENROLLING);
            List<AuditEvent> events = db.read(h -> audit.list(h, 0, 10));
            assertThat(events).hasSize(1);
            assertThat(events.get(0).kind()).isEqualTo("node.state");
            assertThat(events.get(0).detail()).containsEntry("from", "discovered").containsEntry("to", "enrolling")
                    .containsEntry("event", "manage");

            // A racing caller decided from the old state: no move, no event.
            Optional<Node> raced = db.inTransaction(h -> nodes.transition(h, n.id(), NodeState.DISCOVERED, 
                    Move.by(Event.MANAGE), now));
            assertThat(raced).isEmpty();
            // A move the table does not have is refused with the allowed events named, and nothing is written.
            assertThatThrownBy(() -> db.inTransaction(h -> nodes.transition(h, n.id(), NodeState.ENROLLING,
                    Move.by(Event.DEPLOY), now)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("enrolling cannot take deploy")
                    .hasMessageContaining("DONE");
            // A failure is audited as an error, with its reason.
            db.inTransaction(h -> nodes.transition(h, n.id(), NodeState.ENROLLING, 
                    Move.by(Event.FAIL).because("agent refused"), now));
            events = db.read(h -> audit.list(h, 0, 10));
            assertThat(events).hasSize(2);
            assertThat(events.get(1).outcome()).isEqualTo("error");
            assertThat(events.get(1).detail()).containsEntry("reason", "agent refused").containsEntry("to", "error");
            assertThat(db.read(h -> nodes.find(h, n.id())).orElseThrow().state()).isEqualTo(NodeState.ERROR);
        }
    }
}
