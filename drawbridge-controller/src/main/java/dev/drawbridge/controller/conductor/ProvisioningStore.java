package dev.drawbridge.controller.conductor;

import dev.drawbridge.attestation.AttestationKey;
import dev.drawbridge.controller.inventory.ConductorColumns;
import dev.drawbridge.controller.inventory.Move;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeRepository;
import dev.drawbridge.controller.inventory.NodeState;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.verify.QuoteJudge;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The conductor's own columns of a node: the job, its deadline, the pinned agent key, and the facts
 * last learnt from the agent. State changes still go through {@link NodeRepository#transition} only.
 */
final class ProvisioningStore {
    private static final Logger LOG = LoggerFactory.getLogger(ProvisioningStore.class);
    private static final Set<NodeState> LOOKED_AFTER = EnumSet.of(NodeState.ENROLLING, NodeState.MANAGEABLE,
            NodeState.CLEANING, NodeState.AVAILABLE, NodeState.DEPLOYING, NodeState.ACTIVE, NodeState.RESCUING,
            NodeState.RESCUE, NodeState.FENCED);
    /** Parsed attestation keys by their stored text: parsing on every tick would cost more than the poll. */
    private static final Map<String, AttestationKey> KEYS =
            new ConcurrentHashMap<>();
    private final Database db;
    private final NodeRepository nodes;
    private final ConductorMetrics metrics;
    private final Set<String> changed = ConcurrentHashMap.newKeySet();

    /** The group golden values, from the one place that stores them ({@code Verdicts}). */
    private final Supplier<Map<String, Map<Integer, String>>> golden;

    ProvisioningStore(Database db, NodeRepository nodes, ConductorMetrics metrics,
                      Supplier<Map<String, Map<Integer, String>>> golden) {
        this.golden = golden;
        this.metrics = metrics;
        this.db = db;
        this.nodes = nodes;
    }

    record Work(Node node, Optional<Job> job, Optional<Instant> deadline, Optional<String> pinned,
                Optional<AttestInfo> attestation) {}

    /** What a node is attested against: its attestation key and reference PCR values. */
    record AttestInfo(AttestationKey key, Map<Integer, String> reference) {}

    /**
     * A print of every node with an agent address, by id, from short columns only: the update stamp and version
     * (every write through the node repository and every baseline change moves them), state, unreachable flag,
     * deadline, and the lengths of the job, the pinned key, the attestation key, the reference PCRs and the agent
     * address. The conductor's own writes to those columns are reloaded through its change set; the print is the
     * backstop for the rest, and a full reload re-reads only nodes whose print moved. Reading the long columns
     * themselves for ten thousand nodes every 10 s was the controller's largest cost.
     */
    Map<String, Long> prints() {
        return db.read(ConductorColumns::prints);
    }

    /** The prints of just these nodes (those with an agent address). */
    Map<String, Long> prints(Collection<String> ids) {
        return ids.isEmpty() ? Map.of() : db.read(h -> ConductorColumns.prints(h, ids));
    }

    /**
     * The current work of just these nodes: those the conductor looks after, keyed by id. A node missing from the
     * answer has gone, lost its agent address, or moved to a state the conductor leaves alone.
     */
    Map<String, Work> some(Collection<String> ids) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        return db.read(h -> {
            Map<String, Work> extra = new HashMap<>();
            for (ConductorColumns.Row r : ConductorColumns.rows(h, ids)) {
                extra.put(r.id(), work(r));
            }
            Map<String, Work> out = new HashMap<>();
            for (Node n : nodes.findByIds(h, extra.keySet())) {
                Work w = extra.get(n.id());
                if (LOOKED_AFTER.contains(n.state())) {
                    out.put(n.id(), new Work(n, w.job(), w.deadline(), w.pinned(), w.attestation()));
                }
            }
            return out;
        });
    }

    /** The newest {@code updated_at} in the table: changes made through the node repository move it. */
    long newestChange() {
        return db.read(ConductorColumns::newestChange);
    }

    /** Nodes the node repository changed at or after {@code mark} (ms), so a cached schedule can catch up. */
    List<ConductorColumns.Change> changedSince(long mark) {
        return db.read(h -> ConductorColumns.changedSince(h, mark));
    }

    /** Ids whose conductor columns this store changed since the last call: the schedule reloads them. */
    Set<String> drainChanged() {
        Set<String> out = new HashSet<>();
        for (Iterator<String> it = changed.iterator(); it.hasNext(); ) {
            out.add(it.next());
            it.remove();
        }
        return out;
    }

    void changed(String id) {
        changed.add(id);
    }

    /** The node's own poll has re-read it: the conductor's writes during that poll need no reload at the tick. */
    void reloaded(String id) {
        changed.remove(id);
    }

    private static Work work(ConductorColumns.Row r) {
        Optional<AttestInfo> att = r.akPublic().map(a -> new AttestInfo(KEYS.computeIfAbsent(
                a + "|" + r.akQualifiedName().orElse(null), k -> QuoteJudge.key(a, r.akQualifiedName().orElse(null))),
                reference(r.referencePcrs().orElse(null))));
        Optional<Job> job;
        try {
            job = r.job().map(Job::parse);
        } catch (IllegalStateException e) {
            // A job this build cannot read (written by another version, or damaged): the node fails with no job
            // recorded, and the log names the node and what was stored.
            LOG.error("node {}: {}", r.id(), e.getMessage());
            job = Optional.empty();
        }
        return new Work(null, job, r.deadline(), r.pinned(), att);
    }

    /** Saves the job's progress (phase, command id) while the node stays in {@code state}. */
    boolean saveJob(String id, NodeState state, Job job) {
        metrics.wrote("job");
        changed.add(id);
        return db.inTransaction(h -> ConductorColumns.saveJob(h, id, state.wire(), job.json()));
    }

    /** Every group's golden values (group, PCR, hex): a few rows, read every {@link ScheduleCache#STORE_READ}. */
    Map<String, Map<Integer, String>> golden() {
        return golden.get();
    }

    /**
     * The work with its group's golden values applied. They are applied when a poll starts rather than when the
     * schedule is loaded, so a changed golden set counts from the next poll without reloading any node.
     */
    static Work withGolden(Work w, Map<String, Map<Integer, String>> golden) {
        Map<Integer, String> g = golden.get(w.node().labels().get("group"));
        return g == null || w.attestation().isEmpty() ? w : new Work(w.node(), w.job(), w.deadline(), w.pinned(),
                w.attestation().map(a -> withGolden(a, g)));
    }

    /** A group's golden values take precedence over the node's enrollment baseline for the PCRs they name. */
    private static AttestInfo withGolden(AttestInfo a, Map<Integer, String> golden) {
        if (golden == null || golden.isEmpty()) {
            return a;
        }
        Map<Integer, String> merged = new TreeMap<>(a.reference());
        merged.putAll(golden);
        return new AttestInfo(a.key(), merged);
    }

    private static Map<Integer, String> reference(String json) {
        if (json == null) {
            return Map.of();
        }
        try {
            Map<Integer, String> out = new TreeMap<>();
            Wire.JSON.readTree(json).fields().forEachRemaining(e -> out.put(
                    Integer.parseInt(e.getKey()), e.getValue().asText()));
            return out;
        } catch (IOException | NumberFormatException e) {
            return Map.of();
        }
    }

    /** Keeps what enrollment learnt for attestation: the AK, and the baseline as reference values. */
    void saveAttestationKey(String id, Job job) {
        if (!job.params().containsKey("cpus")) {
            return;
        }
        metrics.wrote("attestation-key");
        changed.add(id);
        int cpus = Integer.parseInt(job.params().getOrDefault("cpus", "0"));
        long memoryMb = Long.parseLong(job.params().getOrDefault("memory_mb", "0"));
        db.inTransaction(h -> {
            ConductorColumns.saveCapacity(h, id, cpus, memoryMb);
            return null;
        });
        if (!job.params().containsKey("ak_public")) {
            return;
        }
        db.inTransaction(h -> {
            ConductorColumns.saveAttestationKey(h, id, job.params().get("ak_public"), job.params().get("ak_qn"),
                    job.params().get("baseline"), "true".equals(job.params().get("ak_bound")));
            return null;
        });
    }

    void pin(String id, String fingerprint) {
        metrics.wrote("pin");
        changed.add(id);
        db.inTransaction(h -> {
            ConductorColumns.pin(h, id, fingerprint);
            return null;
        });
    }

    void unreachable(String id) {
        metrics.wrote("unreachable");
        changed.add(id);
        db.inTransaction(h -> {
            ConductorColumns.unreachable(h, id);
            return null;
        });
    }

    Optional<Node> transition(Node node, Move move, Instant now) {
        // The transition and its audit event (written by the repository) commit together, before anything is done.
        metrics.wrote("transition");
        changed.add(node.id());
        return db.inTransaction(h -> nodes.transition(h, node.id(), node.state(), move, now));
    }
}
